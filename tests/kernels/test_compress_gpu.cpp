// GPU tests of prefill-end compression against the CPU references: observation-window scores
// (softmax, window mean, GQA mean/max, max-pool 7), AdaKV budget allocation, per-head selection and
// compaction into the segment layout (exact rows), and the overflow flag.
//   ctest -L gpu   or   build-gpu/tests/kernels/test_compress_gpu  (KVSIM_TEST_SMALL=1: small sizes)
#include "tests/kernels/gpu_test_util.h"
#include "tests/support/catch.h"

#include "kernels/compress/adakv_budget.h"
#include "kernels/compress/select_compact.h"
#include "kernels/compress/window_scores.h"
#include "kernels/reference/compress_ref.h"

#include <algorithm>
#include <cmath>

namespace kvsim::kernels::test {
namespace {

struct Prefill {
  int B, Hkv, G, D, W;
  std::vector<int32_t> cu;
  std::vector<bf16_bits> q_window, k, v;
  int max_len = 0;
};

Prefill make_prefill(std::vector<int32_t> seq_lens, int Hkv, int G, int D, int W, std::mt19937_64& rng) {
  Prefill p{static_cast<int>(seq_lens.size()), Hkv, G, D, W, {0}, {}, {}, {}, 0};
  for (const int32_t n : seq_lens) {
    p.cu.push_back(p.cu.back() + n);
    p.max_len = std::max(p.max_len, n);
  }
  const std::size_t total = static_cast<std::size_t>(p.cu.back());
  p.q_window = random_bf16(static_cast<std::size_t>(p.B) * W * Hkv * G * D, rng, -3.0f, 3.0f);
  p.k = random_bf16(std::max<std::size_t>(total, 1) * Hkv * D, rng, -1.0f, 1.0f);
  p.v = random_bf16(std::max<std::size_t>(total, 1) * Hkv * D, rng, -1.0f, 1.0f);
  return p;
}

}  // namespace

TEST_CASE("compress: window scores, AdaKV budgets, selection and compaction", "[gpu][compress]") {
  auto rng = fresh_rng("compress");
  const std::vector<int32_t> seq_lens = small_mode() ? std::vector<int32_t>{7, 100, 300}
                                                     : std::vector<int32_t>{7, 100, 1000, 4096};
  for (const GqaReduce reduce : {GqaReduce::Mean, GqaReduce::Max}) {
    const int Hkv = 4, G = 4, D = 128, W = 32;
    Prefill pf = make_prefill(seq_lens, Hkv, G, D, W, rng);
    const int64_t total = pf.cu.back();
    auto dq = to_device(pf.q_window);
    auto dk = to_device(pf.k);
    auto dv = to_device(pf.v);
    auto dcu = to_device(pf.cu);
    DeviceBuffer<float> scores(static_cast<std::size_t>(Hkv) * total);
    scores.fill_bytes(0xff);

    // 1. Window scores.
    const WindowScoresParams wp{.q_window = bf(dq), .k = bf(dk), .cu_seqlens = dcu.data(), .num_requests = pf.B,
                                .num_kv_heads = Hkv, .group_size = G, .head_dim = D, .window = W,
                                .total_tokens = total, .max_seq_len = pf.max_len, .reduce = reduce,
                                .scores = scores.data()};
    REQUIRE(supported(wp).ok);
    DeviceBuffer<uint8_t> wws(workspace_bytes(wp));
    run(wp, wws.data(), nullptr);
    const auto got = scores.download();
    const auto want = ref::window_scores_ref({pf.q_window.data(), pf.k.data(), pf.cu, Hkv, G, D, W},
                                             1.0 / std::sqrt(double(D)), reduce, 7);
    double diff = 0.0, norm = 0.0;
    bool same_inf = true;
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (std::isinf(want[i])) {
        same_inf = same_inf && std::isinf(got[i]) && got[i] < 0;
        continue;
      }
      diff += (got[i] - want[i]) * (got[i] - want[i]);
      norm += want[i] * want[i];
    }
    CHECK(same_inf);
    CHECK(std::sqrt(diff / norm) <= 1e-2);

    // 2. AdaKV budgets from the GPU's scores, compared exactly with the reference on those scores.
    const int32_t budget = 40;
    DeviceBuffer<int32_t> budgets(static_cast<std::size_t>(pf.B) * Hkv);
    budgets.fill_bytes(0xff);
    const AdakvBudgetParams ap{.scores = scores.data(), .cu_seqlens = dcu.data(), .num_requests = pf.B,
                               .num_kv_heads = Hkv, .window = W, .total_tokens = total, .budget = budget,
                               .alpha = 0.2f, .budgets = budgets.data()};
    REQUIRE(supported(ap).ok);
    DeviceBuffer<uint8_t> aws(workspace_bytes(ap));
    run(ap, aws.data(), nullptr);
    const auto got_budgets = budgets.download();
    const auto want_budgets = ref::adakv_budgets_ref(got, pf.cu, Hkv, W, budget, 0.2f);
    CHECK(got_budgets == want_budgets);
    for (int b = 0; b < pf.B; ++b) {  // long prefixes keep exactly Hkv * budget tokens per layer
      const int n_prefix = pf.cu[b + 1] - pf.cu[b] - std::min(W, pf.cu[b + 1] - pf.cu[b]);
      if (n_prefix < Hkv * budget) continue;
      int sum = 0;
      for (int h = 0; h < Hkv; ++h) sum += got_budgets[b * Hkv + h];
      CHECK(sum == Hkv * budget);
    }

    // 3. Selection + compaction into a per-head cache; the last segment gets too little capacity.
    const auto kept = ref::select_tokens_ref(got, pf.cu, Hkv, W, want_budgets);
    std::vector<int32_t> sizes;
    for (const auto& t : kept) sizes.push_back(static_cast<int32_t>(t.size()));
    SegmentTable table = SegmentTable::build(sizes, 2);
    table.capacity.back() = sizes.back() - 1;
    auto off = to_device(table.offset);
    auto cap = to_device(table.capacity);
    DeviceBuffer<int32_t> length(sizes.size());
    length.fill_bytes(0);
    DeviceBuffer<bf16_bits> ck(static_cast<std::size_t>(table.pool_rows) * D), cv(ck.size());
    ck.fill_bytes(0xff);
    cv.fill_bytes(0xff);
    DeviceBuffer<int32_t> overflow(1);
    overflow.fill_bytes(0);
    const CompressParams cp{.scores = scores.data(), .budgets = budgets.data(), .k = bf(dk), .v = bf(dv),
                            .cu_seqlens = dcu.data(), .window = W, .total_tokens = total,
                            .max_seq_len = pf.max_len,
                            .cache = {bf(ck), bf(cv), off.data(), cap.data(), length.data(), pf.B, Hkv, D},
                            .overflow = overflow.data()};
    REQUIRE(supported(cp).ok);
    DeviceBuffer<uint8_t> cws(workspace_bytes(cp));
    run(cp, cws.data(), nullptr);
    CHECK(overflow.download()[0] == 1);
    const auto lens = length.download();
    const auto hk = ck.download();
    const auto hv = cv.download();
    bool rows_match = true;
    for (std::size_t s = 0; s + 1 < kept.size(); ++s) {
      CHECK(lens[s] == sizes[s]);
      const int b = static_cast<int>(s) / Hkv, h = static_cast<int>(s) % Hkv;
      for (std::size_t r = 0; r < kept[s].size(); ++r) {
        const std::size_t src = (static_cast<std::size_t>(pf.cu[b] + kept[s][r]) * Hkv + h) * D;
        const std::size_t dst = static_cast<std::size_t>(table.offset[s] + static_cast<int64_t>(r)) * D;
        rows_match = rows_match && std::equal(pf.k.begin() + src, pf.k.begin() + src + D, hk.begin() + dst) &&
                     std::equal(pf.v.begin() + src, pf.v.begin() + src + D, hv.begin() + dst);
      }
    }
    CHECK(rows_match);
    CHECK(lens.back() == 0);  // the overflowing segment was left untouched
  }
}

}  // namespace kvsim::kernels::test
