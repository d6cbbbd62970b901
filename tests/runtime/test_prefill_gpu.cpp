// GPU test of causal chunked prefill attention (kernels/attention/prefill.h) against the double CPU
// reference (kernels/reference/prefill_ref.h): requests with varied cached prefixes p (0 included)
// and chunk lengths (1 included), GQA groups 1, 4, 8, head_dim 64 and 128, an unserved segment
// (length 0, a head copy not serving the request), random rows beyond each segment's length,
// outputs poisoned with NaN, fresh random inputs every run.
//   ctest -R prefill   or   build/tests/runtime/test_prefill_gpu   (KVSIM_TEST_SMALL=1: small sizes)
#include "tests/kernels/gpu_test_util.h"
#include "tests/support/catch.h"

#include "kernels/attention/prefill.h"
#include "kernels/reference/prefill_ref.h"

#include <algorithm>
#include <cmath>

namespace kvsim::kernels::test {
namespace {

struct Case {
  int Hkv, G, D;
  std::vector<int32_t> prefix, chunk;  // per request: cached tokens before the chunk, chunk length
};

void check(const Case& c, std::mt19937_64& rng) {
  const int B = static_cast<int>(c.prefix.size()), QH = c.Hkv * c.G, D = c.D;
  std::vector<int32_t> cu_q{0}, lengths;
  for (int r = 0; r < B; ++r) cu_q.push_back(cu_q.back() + c.chunk[static_cast<std::size_t>(r)]);
  for (int r = 0; r < B; ++r)
    for (int h = 0; h < c.Hkv; ++h) lengths.push_back(c.prefix[static_cast<std::size_t>(r)] + c.chunk[static_cast<std::size_t>(r)]);
  lengths[static_cast<std::size_t>(B * c.Hkv - 1)] = 0;  // the last segment is unserved
  const SegmentTable table = SegmentTable::build(lengths, 5, 8);  // headroom: random rows past the end
  const std::size_t pool = static_cast<std::size_t>(table.pool_rows) * D;
  const auto k = random_bf16(pool, rng, -2.0f, 2.0f), v = random_bf16(pool, rng, -1.0f, 1.0f);
  const auto q = random_bf16(static_cast<std::size_t>(cu_q.back()) * QH * D, rng, -2.0f, 2.0f);
  auto dk = to_device(k), dv = to_device(v), dq = to_device(q);
  auto doff = to_device(table.offset);
  auto dcap = to_device(table.capacity);
  auto dlen = to_device(lengths), dcu = to_device(cu_q), dstart = to_device(c.prefix);
  DeviceBuffer<bf16_bits> dout(q.size());
  DeviceBuffer<float> dlse(static_cast<std::size_t>(cu_q.back()) * QH);
  dout.fill_bytes(0xFF);
  dlse.fill_bytes(0xFF);
  PrefillParams p{.q = bf(dq), .cu_q = dcu.data(), .q_start = dstart.data(), .total_q = cu_q.back(),
                  .cache = {bf(dk), bf(dv), doff.data(), dcap.data(), dlen.data(), B, c.Hkv, D},
                  .group_size = c.G, .out = bf(dout), .lse = dlse.data()};
  REQUIRE(supported(p));
  run(p, nullptr, nullptr);
  KVSIM_CUDA_CHECK(cudaDeviceSynchronize());
  const auto out = dout.download();
  const auto lse = dlse.download();

  std::vector<double> ref_out, ref_lse;
  ref::prefill_attention_ref(q.data(), cu_q, c.prefix, {k.data(), v.data(), table.offset, lengths, B, c.Hkv, D},
                             c.G, 1.0 / std::sqrt(static_cast<double>(D)), ref_out, ref_lse);
  double worst = 0.0, worst_lse = 0.0;
  for (std::size_t i = 0; i < ref_lse.size(); ++i) {
    const double e = rel_error([&](std::size_t j) { return double{ref::bf16_to_float(out[j])}; }, ref_out, i * D, D);
    worst = std::max(worst, e);
    if (std::isinf(ref_lse[i])) {
      REQUIRE(std::isinf(lse[i]));
      REQUIRE(e == 0.0);  // unserved: exact zeros
    } else {
      worst_lse = std::max(worst_lse, std::abs(lse[i] - ref_lse[i]));
    }
  }
  INFO("Hkv " << c.Hkv << " G " << c.G << " D " << D << " worst row rel err " << worst << " worst lse abs err " << worst_lse);
  CHECK(worst <= 1e-2);
  CHECK(worst_lse <= 1e-2);
  std::printf("prefill Hkv=%d G=%d D=%d B=%d q=%d: worst row rel err %.2e, lse abs err %.2e\n", c.Hkv, c.G, D, B,
              cu_q.back(), worst, worst_lse);
}

TEST_CASE("prefill attention matches the CPU reference", "[prefill][gpu]") {
  auto rng = fresh_rng("prefill");
  const bool small = small_mode();
  for (const int D : {128, 64})
    for (const int G : {1, 4, 8}) {
      Case c{.Hkv = 2, .G = G, .D = D,
             .prefix = {0, 17, 0, 300, 5},
             .chunk = {1, 40, 129, 33, small ? 8 : 700}};
      check(c, rng);
    }
}

}  // namespace
}  // namespace kvsim::kernels::test
