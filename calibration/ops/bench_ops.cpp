// Google Benchmark of the elementwise kernels of a decoder layer (kernels/ops): RMSNorm, RoPE and
// SiLU*mul alone, and "elementwise", the bundle TpStepComposer charges to OpCosts::elementwise_s
// once per layer: what the runtime launches outside GEMMs, attention and all-reduce in one decoder
// layer (kernels/runtime/decoder_layers.cpp, its "other" phase), exactly as it launches them:
// RMSNorm with the previous residual add fused in, RoPE on q and k inside the fused QKV rows (row
// stride q | k | v), the K/V write of each row's new token into the cache (the runtime's write_kv),
// RMSNorm with the attention residual fused in, SiLU*mul: five launches. (Before 2026-11-30 the
// bundle was six launches, RMSNorm, RoPE on packed q and k, add, RMSNorm, SiLU*mul, add: the
// runtime has fused the adds into the norms since run 2 of reports/validation and writes K/V.)
// Every kernel is first checked against its CPU reference (kernels/ops/ops_reference.h);
// a mismatch ends the program with status 1 before any timing.
//
//   cmake --build build-gpu --target bench_ops
//   build-gpu/calibration/ops/bench_ops --benchmark_out=ops.json --benchmark_out_format=json
//
// Counters: rows (tokens), bytes and seconds. For the single kernels `bytes` is what the kernel
// reads plus writes; for the bundle it is TpStepComposer's count, rows * 2 B * (10 hidden + 3 ffn
// shard), so that the profile's curve answers elementwise_s(bytes) in the composer's own unit.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <random>
#include <span>
#include <vector>

#include "calibration/common/bench_util.h"
#include "kernels/common/device_buffer.h"
#include "kernels/ops/ops.h"
#include "kernels/ops/ops_reference.h"
#include "kernels/runtime/runtime_kernels.h"

namespace kvsim::calib {
namespace {

namespace ref = kernels::ref;
using bf16 = __nv_bfloat16;

RandomArena& arena() {
  static RandomArena a(std::size_t{3} << 29, 11);  // 3 GiB
  return a;
}

// Device copy of host bf16 bits.
struct Dev {
  bf16* p = nullptr;
  explicit Dev(const std::vector<ref::bf16_bits>& h) {
    KVSIM_CUDA_CHECK(cudaMalloc(&p, h.size() * 2));
    KVSIM_CUDA_CHECK(cudaMemcpy(p, h.data(), h.size() * 2, cudaMemcpyHostToDevice));
  }
  ~Dev() { cudaFree(p); }
  std::vector<ref::bf16_bits> get(std::size_t n) const {
    std::vector<ref::bf16_bits> h(n);
    KVSIM_CUDA_CHECK(cudaMemcpy(h.data(), p, n * 2, cudaMemcpyDeviceToHost));
    return h;
  }
};

std::vector<ref::bf16_bits> random_bits(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::vector<ref::bf16_bits> v(n);
  for (auto& x : v) x = ref::float_to_bf16(u(rng));
  return v;
}

// Checks each kernel on fresh random inputs; bf16 outputs must be within 1e-2 relative error.
bool check_kernels() {
  bool ok = true;
  auto verdict = [&](const char* name, double err) {
    std::printf("check %-9s rel err %.2e %s\n", name, err, err < 1e-2 ? "ok" : "FAILED");
    ok = ok && err < 1e-2;  // NaN fails too
  };
  const int rows = 37, hidden = 4096, width = 1024, qh = 8, kvh = 2, d = 128;
  {
    const auto x = random_bits(static_cast<std::size_t>(rows) * hidden, 1), w = random_bits(hidden, 2);
    Dev dx(x), dw(w), dy(std::vector<ref::bf16_bits>(x.size(), 0xFFFF));
    kernels::run(kernels::RmsNormParams{.x = dx.p, .weight = dw.p, .y = dy.p, .rows = rows, .hidden = hidden}, nullptr);
    verdict("rmsnorm", ref::relative_error(dy.get(x.size()), ref::rmsnorm_ref(x, w, rows, hidden, 1e-5)));
  }
  {
    const auto q = random_bits(static_cast<std::size_t>(rows) * qh * d, 3), k = random_bits(static_cast<std::size_t>(rows) * kvh * d, 4);
    std::vector<int32_t> pos(rows);
    for (int i = 0; i < rows; ++i) pos[static_cast<std::size_t>(i)] = 977 * i % 8191;
    Dev dq(q), dk(k);
    int32_t* dpos = nullptr;
    KVSIM_CUDA_CHECK(cudaMalloc(&dpos, pos.size() * 4));
    KVSIM_CUDA_CHECK(cudaMemcpy(dpos, pos.data(), pos.size() * 4, cudaMemcpyHostToDevice));
    kernels::run(kernels::RopeParams{.q = dq.p, .k = dk.p, .positions = dpos, .tokens = rows, .q_heads = qh,
                                     .kv_heads = kvh, .head_dim = d}, nullptr);
    verdict("rope q", ref::relative_error(dq.get(q.size()), ref::rope_ref(q, pos, qh, d, 500000.0)));
    verdict("rope k", ref::relative_error(dk.get(k.size()), ref::rope_ref(k, pos, kvh, d, 500000.0)));
    cudaFree(dpos);
  }
  {
    const auto gu = random_bits(static_cast<std::size_t>(rows) * 2 * width, 5);
    Dev dgu(gu), dout(std::vector<ref::bf16_bits>(static_cast<std::size_t>(rows) * width, 0xFFFF));
    kernels::run(kernels::SiluMulParams{.gate_up = dgu.p, .out = dout.p, .rows = rows, .width = width}, nullptr);
    verdict("silu_mul", ref::relative_error(dout.get(static_cast<std::size_t>(rows) * width), ref::silu_mul_ref(gu, rows, width)));
  }
  return ok;
}

// The buffers of one layer's elementwise work for `rows` tokens, carved from the random arena.
struct LayerBuffers {
  bf16 *x, *h, *q, *k, *attn, *gate_up, *act, *mlp, *w, *qkv;
};

struct Shape {
  int hidden, ffn_shard, q_heads, kv_heads, head_dim;
  const char* label;
};

std::size_t align128(std::size_t n) { return (n + 127) / 128 * 128; }

void bm_elementwise(benchmark::State& state, int64_t rows, Shape s, int which) {
  const std::size_t R = static_cast<std::size_t>(rows);
  // qkv: the fused projection's rows, q | k | v (the runtime's layout, row stride S).
  const int64_t S = int64_t{s.q_heads + 2 * s.kv_heads} * s.head_dim;
  const std::size_t sizes[] = {R * s.hidden, R * s.hidden, R * s.q_heads * s.head_dim, R * s.kv_heads * s.head_dim,
                               R * s.hidden, R * 2 * s.ffn_shard, R * s.ffn_shard, R * s.hidden, std::size_t(s.hidden),
                               R * static_cast<std::size_t>(S)};
  std::size_t set = 0;
  for (std::size_t n : sizes) set += align128(n);
  const int sets = rotation_sets(2.0 * static_cast<double>(set), 64);
  std::vector<LayerBuffers> bufs;
  for (int i = 0; i < sets; ++i) {
    bf16* p = arena().at(static_cast<std::size_t>(i) * (set + 4096), set);
    bf16* parts[10];
    for (int j = 0; j < 10; ++j) {
      parts[j] = p;
      p += align128(sizes[j]);
    }
    bufs.push_back({parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6], parts[7], parts[8], parts[9]});
  }
  // The cache the bundle's K/V write fills: one segment of capacity 1 per (row, kv head), each row's
  // token written at row 0 of its segments (the runtime: row_request[t] = request, dest_row per head).
  const std::size_t segs = R * static_cast<std::size_t>(s.kv_heads);
  std::vector<int64_t> h_offset(segs);
  std::iota(h_offset.begin(), h_offset.end(), int64_t{0});
  const std::vector<int32_t> h_capacity(segs, 1), h_length(segs, 0), h_dest(segs, 0);
  std::vector<int32_t> h_row_req(R);
  std::iota(h_row_req.begin(), h_row_req.end(), 0);
  kernels::DeviceBuffer<int64_t> d_offset{std::span<const int64_t>(h_offset)};
  kernels::DeviceBuffer<int32_t> d_capacity{std::span<const int32_t>(h_capacity)},
      d_length{std::span<const int32_t>(h_length)}, d_dest{std::span<const int32_t>(h_dest)},
      d_row_req{std::span<const int32_t>(h_row_req)};
  kernels::DeviceBuffer<bf16> cache_k(segs * s.head_dim), cache_v(segs * s.head_dim);
  const kernels::KvCacheView cache{cache_k.data(), cache_v.data(), d_offset.data(), d_capacity.data(),
                                   d_length.data(), static_cast<int>(rows), s.kv_heads, s.head_dim};
  int32_t* pos = nullptr;
  {
    std::vector<int32_t> hp(R);
    for (std::size_t i = 0; i < R; ++i) hp[i] = static_cast<int32_t>(i * 31 % 8192);
    KVSIM_CUDA_CHECK(cudaMalloc(&pos, R * 4));
    KVSIM_CUDA_CHECK(cudaMemcpy(pos, hp.data(), R * 4, cudaMemcpyHostToDevice));
  }
  const cudaStream_t st = stream();
  auto rms = [&](const LayerBuffers& b) {
    kernels::run(kernels::RmsNormParams{.x = b.x, .weight = b.w, .y = b.h, .rows = rows, .hidden = s.hidden}, st);
  };
  auto rope = [&](const LayerBuffers& b) {
    kernels::run(kernels::RopeParams{.q = b.q, .k = b.k, .positions = pos, .tokens = rows, .q_heads = s.q_heads,
                                     .kv_heads = s.kv_heads, .head_dim = s.head_dim}, st);
  };
  auto silu = [&](const LayerBuffers& b) {
    kernels::run(kernels::SiluMulParams{.gate_up = b.gate_up, .out = b.act, .rows = rows, .width = s.ffn_shard}, st);
  };
  // The runtime's layer, as decoder_layers.cpp launches it.
  auto norm_residual = [&](const LayerBuffers& b, const bf16* residual) {
    kernels::run(kernels::RmsNormParams{.x = b.x, .weight = b.w, .y = b.h, .rows = rows, .hidden = s.hidden,
                                        .residual = residual, .sum = b.x}, st);
  };
  auto rope_fused = [&](const LayerBuffers& b) {
    kernels::run(kernels::RopeParams{.q = b.qkv, .k = b.qkv + int64_t{s.q_heads} * s.head_dim, .positions = pos,
                                     .tokens = rows, .q_heads = s.q_heads, .kv_heads = s.kv_heads,
                                     .head_dim = s.head_dim, .q_stride = S, .k_stride = S}, st);
  };
  auto write_kv = [&](const LayerBuffers& b) {
    const bf16* k = b.qkv + int64_t{s.q_heads} * s.head_dim;
    runtime::write_kv({.k = k, .v = k + int64_t{s.kv_heads} * s.head_dim, .row_request = d_row_req.data(),
                       .dest_row = d_dest.data(), .rows = rows, .src_heads = s.kv_heads, .cache = cache,
                       .src_stride = S}, st);
  };
  double bytes = 0;
  double seconds = 0;
  auto pick = [&](int i) -> const LayerBuffers& { return bufs[static_cast<std::size_t>(i) % bufs.size()]; };
  const double Rd = static_cast<double>(rows);
  switch (which) {
    case 0:  // rmsnorm
      bytes = Rd * s.hidden * 2 * 2 + s.hidden * 2.0;
      seconds = time_launches([&](int i) { rms(pick(i)); }, st);
      break;
    case 1:  // rope
      bytes = Rd * (s.q_heads + s.kv_heads) * s.head_dim * 2 * 2 + Rd * 4;
      seconds = time_launches([&](int i) { rope(pick(i)); }, st);
      break;
    case 2:  // silu_mul
      bytes = Rd * s.ffn_shard * 3 * 2;
      seconds = time_launches([&](int i) { silu(pick(i)); }, st);
      break;
    default:  // the composer's per-layer bundle
      bytes = Rd * 2 * (10.0 * s.hidden + 3.0 * s.ffn_shard);
      seconds = time_launches(
          [&](int i) {
            const LayerBuffers& b = pick(i);
            norm_residual(b, b.mlp);
            rope_fused(b);
            write_kv(b);
            norm_residual(b, b.attn);
            silu(b);
          },
          st, TimingConfig{.samples = 15, .target_sample_s = 4e-3});
  }
  KVSIM_CUDA_CHECK(cudaFree(pos));
  report(state, seconds);
  state.counters["rows"] = Rd;
  state.counters["bytes"] = bytes;
  state.counters["hidden"] = s.hidden;
  state.counters["ffn_shard"] = s.ffn_shard;
  state.counters["bytes_per_second"] = bytes / seconds;
}

}  // namespace
}  // namespace kvsim::calib

int main(int argc, char** argv) {
  using namespace kvsim::calib;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!check_kernels()) return 1;
  // LLaMA-3-70B under TP 8 is the reference shape of every sweep; two more shapes check that the
  // bundle's time follows its byte count across shapes (LLaMA-3-8B TP 1, Mistral-Small-24B TP 2).
  const Shape ref70{8192, 28672 / 8, 64 / 8, 8 / 8, 128, "llama-3-70b tp=8"};
  const Shape more[] = {{4096, 14336, 32, 8, 128, "llama-3-8b tp=1"}, {5120, 32768 / 2, 16, 4, 128, "mistral-small-24b tp=2"}};
  const char* names[] = {"rmsnorm", "rope", "silu_mul", "elementwise"};
  auto reg = [](const std::string& name, int64_t rows, Shape s, int which) {
    benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) { bm_elementwise(st, rows, s, which); })
        ->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
  };
  // Rows 1 .. 16384 in steps of sqrt(2) (rounded), the bundle's curve being the one the simulator uses.
  std::vector<int64_t> rows_grid;
  for (int i = 0; i <= 28; ++i) {
    const auto r = static_cast<int64_t>(std::llround(std::pow(2.0, i / 2.0)));
    if (rows_grid.empty() || r != rows_grid.back()) rows_grid.push_back(r);
  }
  for (int which = 0; which < 4; ++which)
    for (int64_t rows : rows_grid)
      reg(std::string(names[which]) + "/hidden:8192/rows:" + std::to_string(rows), rows, ref70, which);
  for (const Shape& s : more)
    for (int64_t rows = 1; rows <= 16384; rows *= 4)
      reg("elementwise/hidden:" + std::to_string(s.hidden) + "/rows:" + std::to_string(rows), rows, s, 3);
  add_device_context(1);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
