// CPU tests (run in CI, no GPU) of the kernel references in kernels/reference and of the decode
// work split (kernels/attention/decode_schedule.h): hand-checkable cases and invariants.
//   ctest -L cpu -R kernel_reference
#include "tests/support/catch.h"

#include "kernels/attention/decode_schedule.h"
#include "kernels/reference/attention_ref.h"
#include "kernels/reference/compress_ref.h"
#include "kernels/reference/kv_cache_ref.h"
#include "kernels/reference/topk_ref.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace kvsim::kernels::ref {
namespace {

std::vector<bf16_bits> bf16_vector(std::initializer_list<float> values) {
  std::vector<bf16_bits> out;
  for (const float v : values) out.push_back(float_to_bf16(v));
  return out;
}

}  // namespace

TEST_CASE("bf16 conversion rounds to nearest even and keeps exact values", "[kernel_reference]") {
  CHECK(bf16_to_float(float_to_bf16(1.5f)) == 1.5f);
  CHECK(bf16_to_float(float_to_bf16(-0.25f)) == -0.25f);
  CHECK(bf16_to_float(float_to_bf16(1.0f + 1.0f / 512)) == 1.0f);  // tie goes to even
  CHECK(std::isnan(bf16_to_float(float_to_bf16(NAN))));
}

TEST_CASE("attend_ref: one row returns it, equal scores average, empty gives -inf", "[kernel_reference]") {
  const auto q = bf16_vector({1, 0});
  const auto k = bf16_vector({0, 1, 0, 1});  // both rows score 0 against q
  const auto v = bf16_vector({2, 4, 6, 8});
  double out[2];
  const std::vector<int64_t> one{1}, both{0, 1};
  CHECK(attend_ref(q.data(), k.data(), v.data(), one, 2, 1.0, out) == Approx(0.0));
  CHECK(out[0] == 6.0);
  CHECK(out[1] == 8.0);
  CHECK(attend_ref(q.data(), k.data(), v.data(), both, 2, 1.0, out) == Approx(std::log(2.0)));
  CHECK(out[0] == Approx(4.0));
  CHECK(std::isinf(attend_ref(q.data(), k.data(), v.data(), {}, 2, 1.0, out)));
  CHECK(out[0] == 0.0);
}

TEST_CASE("decode_attention_ref: GQA heads use their kv head's segment", "[kernel_reference]") {
  // 1 request, 2 kv heads, group 2, head_dim 2; segment 0 = row 0, segment 1 = rows 1..2.
  const auto k = bf16_vector({0, 0, 0, 0, 0, 0});
  const auto v = bf16_vector({1, 1, 3, 3, 5, 5});
  const std::vector<int64_t> offset{0, 1};
  const std::vector<int32_t> length{1, 2};
  const auto q = bf16_vector({1, 1, 2, 2, 1, 1, 2, 2});
  std::vector<double> out, lse;
  decode_attention_ref(q.data(), {k.data(), v.data(), offset, length, 1, 2, 2}, 2, 1.0, out, lse);
  REQUIRE(out.size() == 8);
  CHECK(out[0] == 1.0);
  CHECK(out[2] == 1.0);
  CHECK(out[4] == Approx(4.0));
  CHECK(out[6] == Approx(4.0));
}

TEST_CASE("avl_sparse_attention_ref attends over prefix, core and text only", "[kernel_reference]") {
  // Segment: prefix 1 row, 3 secondary rows, 1 text row; core = {2}. Keys zero: plain average.
  const auto k = bf16_vector({0, 0, 0, 0, 0});
  const auto v = bf16_vector({1, 100, 200, 7, 4});
  const std::vector<int64_t> offset{0};
  const std::vector<int32_t> length{5};
  const std::vector<AvlRequest> reqs{{.prefix_len = 1, .num_secondary = 3, .num_core = 1, .core_offset = 0}};
  const std::vector<int32_t> core{2};
  const auto q = bf16_vector({1});
  std::vector<double> out, lse;
  avl_sparse_attention_ref(q.data(), {k.data(), v.data(), offset, length, 1, 1, 1}, 1, 1.0, reqs, core, out, lse);
  CHECK(out[0] == Approx((1.0 + 7.0 + 4.0) / 3.0));
  CHECK(avl_sparse_tokens(reqs[0], 5) == 3);
}

TEST_CASE("topk_ref: largest first, ties to lower index, output ascending", "[kernel_reference]") {
  const std::vector<float> s{0.5f, 2.0f, 2.0f, -1.0f, 2.0f, 3.0f};
  CHECK(topk_ref(s, 3) == std::vector<int32_t>{1, 2, 5});
  CHECK(topk_ref(s, 0).empty());
  CHECK(topk_ref(s, 99).size() == s.size());
}

TEST_CASE("window_scores_ref: window-mean probabilities, pooled, window -inf", "[kernel_reference]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1, 1);
  const int H = 2, G = 2, D = 4, W = 3, n = 10;
  std::vector<bf16_bits> q(static_cast<std::size_t>(W) * H * G * D), k(static_cast<std::size_t>(n) * H * D);
  for (auto& x : q) x = float_to_bf16(u(rng));
  for (auto& x : k) x = float_to_bf16(u(rng));
  const std::vector<int32_t> cu{0, n};
  const auto raw = window_scores_ref({q.data(), k.data(), cu, H, G, D, W}, 0.5, GqaReduce::Mean, 1);
  const auto pooled = window_scores_ref({q.data(), k.data(), cu, H, G, D, W}, 0.5, GqaReduce::Mean, 7);
  for (int h = 0; h < H; ++h) {
    double sum = 0.0;
    for (int j = 0; j < n - W; ++j) {
      sum += raw[h * n + j];
      CHECK(pooled[h * n + j] >= raw[h * n + j]);
    }
    CHECK(sum > 0.0);
    CHECK(sum < 1.0);  // the window keys take the rest of the probability
    for (int j = n - W; j < n; ++j) CHECK(std::isinf(pooled[h * n + j]));
  }
}

TEST_CASE("adakv_budgets_ref: floor plus layer-wide share, total H*B", "[kernel_reference]") {
  // 1 request, 2 heads, n = 12, window 2: prefix 10. Head 0 scores all above head 1's.
  const int n = 12, W = 2, H = 2;
  std::vector<float> scores(static_cast<std::size_t>(H) * n, -INFINITY);
  for (int j = 0; j < n - W; ++j) {
    scores[j] = 10.0f + j;
    scores[n + j] = 1.0f + j * 0.1f;
  }
  const std::vector<int32_t> cu{0, n};
  const auto budgets = adakv_budgets_ref(scores, cu, H, W, 5, 0.2f);  // floor 1, pooled top 2*4 = 8
  CHECK(budgets == std::vector<int32_t>{9, 1});
  const auto kept = select_tokens_ref(scores, cu, H, W, budgets);
  REQUIRE(kept.size() == 2);
  CHECK(kept[1] == std::vector<int32_t>{9, 10, 11});  // best prefix token, then the window
  CHECK(kept[0].size() == 11);
}

TEST_CASE("append_ref writes in place and reports full segments", "[kernel_reference]") {
  std::vector<bf16_bits> k(8, 0), v(8, 0);
  const std::vector<int64_t> offset{0, 2};
  const std::vector<int32_t> capacity{2, 2};
  std::vector<int32_t> length{1, 2};
  const std::vector<bf16_bits> nk{1, 2, 3, 4}, nv{5, 6, 7, 8};
  CHECK(append_ref(k, v, offset, capacity, length, nk, nv, 2));
  CHECK(length == std::vector<int32_t>{2, 2});
  CHECK(k[2] == 1);
  CHECK(v[3] == 6);
  CHECK(k[4] == 0);
}

}  // namespace kvsim::kernels::ref

namespace kvsim::kernels {

TEST_CASE("schedule_layer: covers every token once and splits skewed heads evenly", "[kernel_reference]") {
  DecodeScheduleConfig cfg{.num_sms = 132, .ctas_per_sm = 2, .waves = 4, .min_chunk_tokens = 256, .granule_tokens = 64};
  std::vector<int32_t> lengths(64 * 8, 306);
  for (int b = 0; b < 64; ++b) lengths[b * 8] = 30600;  // one head 100x the others
  lengths[5] = 0;
  const LayerSchedule s = schedule_layer(lengths, cfg);
  REQUIRE(s.segments.size() == lengths.size());
  int64_t covered = 0, longest = 0;
  for (std::size_t seg = 0; seg < lengths.size(); ++seg) {
    const SegmentChunks c = s.segments[seg];
    int32_t next = 0;
    for (int i = c.first; i < c.first + c.count; ++i) {
      CHECK(s.items[i].segment == static_cast<int32_t>(seg));
      CHECK(s.items[i].begin == next);
      CHECK(s.items[i].direct == (c.count == 1 ? 1 : 0));
      next = s.items[i].end;
      covered += s.items[i].end - s.items[i].begin;
      longest = std::max<int64_t>(longest, s.items[i].end - s.items[i].begin);
    }
    CHECK(next == std::max(lengths[seg], 0));
  }
  CHECK(covered == s.total_tokens);
  CHECK(s.segments[5].count == 0);
  CHECK(s.segments[0].count > 10);  // the heavy head is spread over many CTAs
  CHECK(longest <= s.chunk_tokens);
  // No CTA gets more than the average per CTA slot times the wave count, rounded to the granule.
  CHECK(longest <= (s.total_tokens / (132 * 2 * 4) + 64 + 63) / 64 * 64 + 64);
}

}  // namespace kvsim::kernels
