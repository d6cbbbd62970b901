// GPU checks of the kernels the calibration times (label gpu; skipped without a device):
// kernels/ops against their CPU references on fresh random inputs with poisoned outputs, and the
// cuBLASLt GEMM wrapper (kernels/gemm) against a double-precision product, which pins its layout
// (y[m][n] = x[m][k] . w[n][k]).
#include "tests/support/catch.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/gemm/gemm.h"
#include "kernels/ops/ops.h"
#include "kernels/ops/ops_reference.h"

namespace ref = kvsim::kernels::ref;
using bf16 = __nv_bfloat16;

namespace {

std::vector<ref::bf16_bits> random_bits(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<ref::bf16_bits> v(n);
  for (auto& x : v) x = ref::float_to_bf16(u(rng));
  return v;
}

struct Dev {
  bf16* p = nullptr;
  std::size_t n = 0;
  explicit Dev(const std::vector<ref::bf16_bits>& h) : n(h.size()) {
    REQUIRE(cudaMalloc(&p, n * 2) == cudaSuccess);
    REQUIRE(cudaMemcpy(p, h.data(), n * 2, cudaMemcpyHostToDevice) == cudaSuccess);
  }
  ~Dev() { cudaFree(p); }
  std::vector<ref::bf16_bits> get() const {
    std::vector<ref::bf16_bits> h(n);
    REQUIRE(cudaMemcpy(h.data(), p, n * 2, cudaMemcpyDeviceToHost) == cudaSuccess);
    return h;
  }
};

std::vector<ref::bf16_bits> poison(std::size_t n) { return std::vector<ref::bf16_bits>(n, 0xFFFF); }  // NaN

}  // namespace

TEST_CASE("rmsnorm, rope and silu_mul match their CPU references") {
  const int rows = 53, hidden = 5120, width = 1792, qh = 5, kvh = 3, d = 128;
  const auto x = random_bits(static_cast<std::size_t>(rows) * hidden, 11), w = random_bits(hidden, 12);
  Dev dx(x), dw(w), dy(poison(x.size()));
  kvsim::kernels::run(kvsim::kernels::RmsNormParams{.x = dx.p, .weight = dw.p, .y = dy.p, .rows = rows, .hidden = hidden}, nullptr);
  CHECK(ref::relative_error(dy.get(), ref::rmsnorm_ref(x, w, rows, hidden, 1e-5)) < 1e-2);

  const auto q = random_bits(static_cast<std::size_t>(rows) * qh * d, 13), k = random_bits(static_cast<std::size_t>(rows) * kvh * d, 14);
  std::vector<int32_t> pos(rows);
  for (int i = 0; i < rows; ++i) pos[static_cast<std::size_t>(i)] = (i * 4099) % 32768;
  int32_t* dpos = nullptr;
  REQUIRE(cudaMalloc(&dpos, pos.size() * 4) == cudaSuccess);
  REQUIRE(cudaMemcpy(dpos, pos.data(), pos.size() * 4, cudaMemcpyHostToDevice) == cudaSuccess);
  Dev dq(q), dk(k);
  kvsim::kernels::run(kvsim::kernels::RopeParams{.q = dq.p, .k = dk.p, .positions = dpos, .tokens = rows,
                                                 .q_heads = qh, .kv_heads = kvh, .head_dim = d}, nullptr);
  CHECK(ref::relative_error(dq.get(), ref::rope_ref(q, pos, qh, d, 500000.0)) < 1e-2);
  CHECK(ref::relative_error(dk.get(), ref::rope_ref(k, pos, kvh, d, 500000.0)) < 1e-2);
  cudaFree(dpos);

  const auto gu = random_bits(static_cast<std::size_t>(rows) * 2 * width, 15);
  Dev dgu(gu), dout(poison(static_cast<std::size_t>(rows) * width));
  kvsim::kernels::run(kvsim::kernels::SiluMulParams{.gate_up = dgu.p, .out = dout.p, .rows = rows, .width = width}, nullptr);
  CHECK(ref::relative_error(dout.get(), ref::silu_mul_ref(gu, rows, width)) < 1e-2);
  CHECK(cudaDeviceSynchronize() == cudaSuccess);
}

TEST_CASE("the fused residual rmsnorm and strided rope give the unfused kernels' bits") {
  const int rows = 37, hidden = 4096, qh = 4, kvh = 2, d = 128;
  const auto x = random_bits(static_cast<std::size_t>(rows) * hidden, 21), r = random_bits(x.size(), 22),
             w = random_bits(hidden, 23);
  // Unfused: x += r, then y = rmsnorm(x). Fused: one launch writes sum and y.
  Dev ax(x), ar(r), aw(w), ay(poison(x.size()));
  kvsim::kernels::run(kvsim::kernels::AddParams{.x = ax.p, .y = ar.p, .count = static_cast<int64_t>(x.size())}, nullptr);
  kvsim::kernels::run(kvsim::kernels::RmsNormParams{.x = ax.p, .weight = aw.p, .y = ay.p, .rows = rows, .hidden = hidden}, nullptr);
  Dev bx(x), br(r), bw(w), by(poison(x.size()));
  kvsim::kernels::run(kvsim::kernels::RmsNormParams{.x = bx.p, .weight = bw.p, .y = by.p, .rows = rows, .hidden = hidden,
                                                    .residual = br.p, .sum = bx.p},
                      nullptr);
  CHECK(bx.get() == ax.get());
  CHECK(by.get() == ay.get());

  // RoPE on q and k packed apart, and inside one fused row q | k | v (stride S), with poison in v.
  const int64_t QD = int64_t{qh} * d, KD = int64_t{kvh} * d, S = QD + 2 * KD;
  const auto q = random_bits(static_cast<std::size_t>(rows) * QD, 24), k = random_bits(static_cast<std::size_t>(rows) * KD, 25);
  std::vector<ref::bf16_bits> fused(static_cast<std::size_t>(rows * S), 0xFFFF);
  for (int t = 0; t < rows; ++t) {
    std::copy_n(q.begin() + t * QD, QD, fused.begin() + t * S);
    std::copy_n(k.begin() + t * KD, KD, fused.begin() + t * S + QD);
  }
  std::vector<int32_t> pos(rows);
  for (int i = 0; i < rows; ++i) pos[static_cast<std::size_t>(i)] = (i * 977) % 8192;
  int32_t* dpos = nullptr;
  REQUIRE(cudaMalloc(&dpos, pos.size() * 4) == cudaSuccess);
  REQUIRE(cudaMemcpy(dpos, pos.data(), pos.size() * 4, cudaMemcpyHostToDevice) == cudaSuccess);
  Dev dq(q), dk(k), df(fused);
  kvsim::kernels::run(kvsim::kernels::RopeParams{.q = dq.p, .k = dk.p, .positions = dpos, .tokens = rows, .q_heads = qh,
                                                 .kv_heads = kvh, .head_dim = d},
                      nullptr);
  kvsim::kernels::run(kvsim::kernels::RopeParams{.q = df.p, .k = df.p + QD, .positions = dpos, .tokens = rows, .q_heads = qh,
                                                 .kv_heads = kvh, .head_dim = d, .q_stride = S, .k_stride = S},
                      nullptr);
  const auto got = df.get(), want_q = dq.get(), want_k = dk.get();
  for (int t = 0; t < rows; ++t) {
    REQUIRE(std::equal(want_q.begin() + t * QD, want_q.begin() + (t + 1) * QD, got.begin() + t * S));
    REQUIRE(std::equal(want_k.begin() + t * KD, want_k.begin() + (t + 1) * KD, got.begin() + t * S + QD));
    REQUIRE(std::all_of(got.begin() + t * S + QD + KD, got.begin() + (t + 1) * S, [](ref::bf16_bits b) { return b == 0xFFFF; }));
  }
  cudaFree(dpos);
  CHECK(cudaDeviceSynchronize() == cudaSuccess);
}

TEST_CASE("unsupported shapes are refused with a reason") {
  const auto s = kvsim::kernels::supported(kvsim::kernels::RmsNormParams{.hidden = 100});
  CHECK_FALSE(s.ok);
  CHECK_FALSE(s.why.empty());
}

TEST_CASE("the cuBLASLt GEMM computes y = x w^T in bf16 with fp32 accumulation") {
  const int m = 37, n = 96, k = 256;
  const auto x = random_bits(static_cast<std::size_t>(m) * k, 21), w = random_bits(static_cast<std::size_t>(n) * k, 22);
  Dev dx(x), dw(w), dy(poison(static_cast<std::size_t>(m) * n));
  kvsim::kernels::GemmHandle h;
  const kvsim::kernels::GemmPlan plan(h, m, n, k);
  plan.run(h, dx.p, dw.p, dy.p, nullptr);
  REQUIRE(cudaDeviceSynchronize() == cudaSuccess);
  std::vector<float> want(static_cast<std::size_t>(m) * n);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int t = 0; t < k; ++t)
        s += static_cast<double>(ref::bf16_to_float(x[static_cast<std::size_t>(i) * k + t])) *
             ref::bf16_to_float(w[static_cast<std::size_t>(j) * k + t]);
      want[static_cast<std::size_t>(i) * n + j] = static_cast<float>(s);
    }
  CHECK(ref::relative_error(dy.get(), want) < 1e-2);
  CHECK(plan.flops() == 2.0 * m * n * k);
}
