// GPU test of the batched radix-select top-k against the CPU reference: row lengths 0 to 1M,
// k from 0 to the whole row, negative scores and heavy ties; exact index lists must match.
//   ctest -L gpu   or   build-gpu/tests/kernels/test_topk_gpu  (KVSIM_TEST_SMALL=1: small sizes)
#include "tests/kernels/gpu_test_util.h"
#include "tests/support/catch.h"

#include "kernels/reference/topk_ref.h"
#include "kernels/topk/topk.h"

namespace kvsim::kernels::test {

TEST_CASE("topk: rows of 0..1M scores, ties and negatives, exact indices", "[gpu][topk]") {
  auto rng = fresh_rng("topk");
  std::vector<int32_t> lens{0, 1, 7, 300, 1024, 1025, 4096, 5000, 131072};  // <= 1024: the rank path
  if (!small_mode()) lens.push_back(1 << 20);
  if (small_mode()) lens = {0, 1, 7, 300, 4096};
  std::vector<float> scores;
  std::vector<int64_t> begin, out_begin;
  std::vector<int32_t> len, k;
  int64_t out_total = 0;
  for (std::size_t r = 0; r < lens.size() * 3; ++r) {
    const int32_t n = lens[r % lens.size()];
    const int variant = static_cast<int>(r / lens.size());  // 0: distinct, 1: few values (ties), 2: negative
    begin.push_back(static_cast<int64_t>(scores.size()));
    for (int32_t i = 0; i < n; ++i) {
      const float u = std::uniform_real_distribution<float>(0.0f, 1.0f)(rng);
      scores.push_back(variant == 0 ? u : variant == 1 ? std::floor(u * 5.0f) : -u * 100.0f);
    }
    len.push_back(n);
    const int32_t kk = std::vector<int32_t>{n / 3, n, 1, n > 0 ? n - 1 : 0}[(r + rng()) % 4];
    k.push_back(kk);
    out_begin.push_back(out_total);
    out_total += std::max(kk, 1);
  }
  auto dscores = to_device(scores);
  auto dbegin = to_device(begin);
  auto dout_begin = to_device(out_begin);
  auto dlen = to_device(len);
  auto dk = to_device(k);
  DeviceBuffer<int32_t> out(static_cast<std::size_t>(out_total));
  out.fill_bytes(0xff);
  const TopkParams p{.scores = dscores.data(), .num_rows = static_cast<int>(len.size()), .row_begin = dbegin.data(),
                     .row_len = dlen.data(), .row_k = dk.data(), .out_idx = out.data(), .out_begin = dout_begin.data()};
  REQUIRE(supported(p).ok);
  run(p, nullptr, nullptr);
  const auto got = out.download();
  for (std::size_t r = 0; r < len.size(); ++r) {
    const auto want = ref::topk_ref(std::span<const float>(scores).subspan(begin[r], len[r]), k[r]);
    const std::vector<int32_t> have(got.begin() + out_begin[r], got.begin() + out_begin[r] + want.size());
    INFO("row " << r << " n=" << len[r] << " k=" << k[r]);
    CHECK(have == want);
  }
}

}  // namespace kvsim::kernels::test
