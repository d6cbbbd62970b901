// Each budget formula on small cases computed by hand (the arithmetic is in the comments).
#include <cmath>

#include "sim/budget/adakv_generator.h"
#include "sim/budget/adakv_source.h"
#include "sim/budget/duoattention_source.h"
#include "sim/budget/headkv_source.h"
#include "sim/budget/moa_source.h"
#include "tests/budget/budget_test_util.h"

using namespace kvsim;
using kvsim::test::make;
using kvsim::test::tiny_model;

TEST_CASE("full keeps the whole prompt and appends every token") {
  const ModelSpec m = tiny_model(3, 4, 2);
  HeadBudgets b;
  make({{"kind", "full"}}, m)->budgets({.id = 1, .prompt_tokens = 777, .output_tokens = 5}, b);
  REQUIRE(b.kept.size() == 6);
  for (int k : b.kept) CHECK(k == 777);
  for (float g : b.growth) CHECK(g == 1.0f);
}

TEST_CASE("uniform keeps min(prompt, budget), window included") {
  const ModelSpec m = tiny_model(2, 2, 2);
  auto src = make({{"kind", "uniform"}, {"budget", 100}, {"window", 32}}, m);
  HeadBudgets b;
  src->budgets({.id = 1, .prompt_tokens = 50, .output_tokens = 1}, b);
  for (int k : b.kept) CHECK(k == 50);
  src->budgets({.id = 1, .prompt_tokens = 1000, .output_tokens = 1}, b);
  for (int k : b.kept) CHECK(k == 100);
  for (float g : b.growth) CHECK(g == 1.0f);
  CHECK(b.total_kept() == 400);
}

TEST_CASE("fill_topk_counts shares the top-k in proportion and pins heads at the cap") {
  const double u[3] = {1, 1, 2};
  double c[3];
  fill_topk_counts(u, 3, 40, 100, c);  // T = 40 / 4 = 10
  CHECK(c[0] == Approx(10));
  CHECK(c[1] == Approx(10));
  CHECK(c[2] == Approx(20));
  fill_topk_counts(u, 3, 40, 15, c);  // head 2 pinned at 15; 25 left over u = 2: T = 12.5
  CHECK(c[0] == Approx(12.5));
  CHECK(c[1] == Approx(12.5));
  CHECK(c[2] == Approx(15));
  const double zero[2] = {0, 0};
  fill_topk_counts(zero, 2, 10, 100, c);  // all tie at score 0: even split
  CHECK(c[0] == Approx(5));
  CHECK(c[1] == Approx(5));
}

TEST_CASE("adakv_split: window + floor(alpha*b) + (1-alpha) * share, cumulative rounding") {
  SECTION("exact") {
    // H = 2, b = 20, alpha 0.2: floor = 4; 0.8*30 + 4 = 28, 0.8*10 + 4 = 12; window 8.
    const double c[2] = {30, 10};
    std::int32_t kept[2];
    adakv_split(c, 1.0, 2, 20, 0.2, 8, kept);
    CHECK(kept[0] == 36);
    CHECK(kept[1] == 20);
    const double half[2] = {15, 5};  // the same counts given as 2 * (15, 5)
    adakv_split(half, 2.0, 2, 20, 0.2, 8, kept);
    CHECK(kept[0] == 36);
    CHECK(kept[1] == 20);
  }
  SECTION("rounded") {
    // b = 10, alpha 0.25: floor = int(2.5) = 2; values 13.25, 9.5, 5.75; running sums 13.25, 22.75, 28.5
    // round to 13, 23, 29, so the heads get 13, 10, 6.
    const double c[3] = {15, 10, 5};
    std::int32_t kept[3];
    adakv_split(c, 1.0, 3, 10, 0.25, 0, kept);
    CHECK(kept[0] == 13);
    CHECK(kept[1] == 10);
    CHECK(kept[2] == 6);
  }
}

TEST_CASE("adakv source: hand-computed split with no noise") {
  const ModelSpec m = tiny_model(1, 2, 2);
  AdaKvParams p{.budget = 40, .window = 8, .alpha = 0.25, .variation = 0.0, .score_exponent = 1.0,
                .head_weights = {3, 1}, .weights_label = "test"};
  AdaKvSource src(m, p, 1);
  HeadBudgets b;
  // b = 32, floor = 8, top 64 shared 3:1 = 48, 16 -> 8 + 8 + 36 = 52 and 8 + 8 + 12 = 28.
  src.budgets({.id = 5, .prompt_tokens = 1000, .output_tokens = 10}, b);
  CHECK(b.kept[0] == 52);
  CHECK(b.kept[1] == 28);
  CHECK(b.growth[0] == 1.0f);
  // prompt 48: n = 40 candidates per head; head 0 pinned at 40, head 1 takes 24:
  // 8 + 8 + 30 = 46 and 8 + 8 + 18 = 34 (still 80 = 2 * 40 in total).
  src.budgets({.id = 5, .prompt_tokens = 48, .output_tokens = 10}, b);
  CHECK(b.kept[0] == 46);
  CHECK(b.kept[1] == 34);
  // prompt 39: b = 32 > n = 31, AdaKV does not compress.
  src.budgets({.id = 5, .prompt_tokens = 39, .output_tokens = 10}, b);
  CHECK(b.kept[0] == 39);
  CHECK(b.kept[1] == 39);
  // score exponent 2: shares go as sqrt(weight): weights 4, 1 -> 2:1 of 64 = 42.67, 21.33;
  // 16 + 32 = 48 and 16 + 16 = 32.
  AdaKvParams p2 = p;
  p2.head_weights = {4, 1};
  p2.score_exponent = 2.0;
  AdaKvSource src2(m, p2, 1);
  src2.budgets({.id = 5, .prompt_tokens = 1000, .output_tokens = 10}, b);
  CHECK(b.kept[0] == 48);
  CHECK(b.kept[1] == 32);
}

TEST_CASE("headkv formula: round(s * (b // beta) * L * H + b - b // beta)") {
  // scores 1, 1, 2 -> s = .25, .25, .5
  SECTION("beta 2: pool 50 per head, 150 in all, min 50: 87.5 -> 88 (half to even), 125") {
    const auto b = headkv_head_budgets({1, 1, 2}, 100, 2.0, 1.0);
    REQUIRE(b.size() == 3);
    CHECK(b[0] == 88);
    CHECK(b[1] == 88);
    CHECK(b[2] == 125);
  }
  SECTION("beta 1.005: 100 // 1.005 = 99, pool 297, min 1: 75.25 -> 75, 149.5 -> 150") {
    const auto b = headkv_head_budgets({1, 1, 2}, 100, 1.005, 1.0);
    CHECK(b[0] == 75);
    CHECK(b[2] == 150);
  }
  SECTION("temp 2: s^2 normalised = 1/6, 1/6, 2/3 -> 75, 75, 150") {
    const auto b = headkv_head_budgets({1, 1, 2}, 100, 2.0, 2.0);
    CHECK(b[0] == 75);
    CHECK(b[1] == 75);
    CHECK(b[2] == 150);
  }
}

TEST_CASE("headkv source adds the window and caps at the prompt") {
  const ModelSpec m = tiny_model(1, 3, 3);
  HeadKvSource src(m, HeadKvParams{.budget = 110, .window = 10, .beta = 2.0, .temp = 1.0, .scores = {1, 1, 2},
                                   .scores_label = "test"});
  HeadBudgets b;
  src.budgets({.id = 1, .prompt_tokens = 1000, .output_tokens = 1}, b);
  CHECK(b.kept[0] == 98);
  CHECK(b.kept[2] == 135);
  src.budgets({.id = 1, .prompt_tokens = 120, .output_tokens = 1}, b);  // n = 110: 125 capped to 110
  CHECK(b.kept[0] == 98);
  CHECK(b.kept[2] == 120);
  src.budgets({.id = 1, .prompt_tokens = 100, .output_tokens = 1}, b);  // b = 100 > n = 90: uncompressed
  CHECK(b.kept[0] == 100);
  CHECK(b.kept[2] == 100);
}

TEST_CASE("linear_quantile matches numpy.quantile") {
  CHECK(linear_quantile({0, 0.25, 0.5, 1}, 0.5) == Approx(0.375));  // position 1.5
  CHECK(linear_quantile({3, 1, 2}, 0.0) == Approx(1));
  CHECK(linear_quantile({3, 1, 2}, 1.0) == Approx(3));
  CHECK(linear_quantile({0, 10}, 0.3) == Approx(3));
}

TEST_CASE("duoattention: quantile threshold, full and streaming heads") {
  const ModelSpec m = tiny_model(2, 2, 2);
  DuoAttentionParams p{.gates = {0.1, 0.9, 1.0, 0.3}, .use_threshold = false, .sparsity = 0.5, .threshold = 0,
                       .sink = 128, .recent = 256, .gates_label = "test"};
  SECTION("sparsity 0.5: the 0.5-quantile is about 0.6, so gates 0.9 and 1.0 are full heads") {
    DuoAttentionSource src(m, p, 3);
    CHECK(src.achieved_sparsity() == Approx(0.5));
    CHECK(src.is_full_head(0, 1));
    CHECK(src.is_full_head(1, 0));
    CHECK_FALSE(src.is_full_head(0, 0));
    HeadBudgets b;
    src.budgets({.id = 1, .prompt_tokens = 1000, .output_tokens = 100}, b);
    CHECK(b.kept[1] == 1000);
    CHECK(b.growth[1] == 1.0f);
    CHECK(b.kept[0] == 384);
    CHECK(b.growth[0] == 0.0f);
    // prompt 300 < 384: the streaming head fills up to 384 within 200 steps: mean rate 84 / 200.
    src.budgets({.id = 1, .prompt_tokens = 300, .output_tokens = 200}, b);
    CHECK(b.kept[0] == 300);
    CHECK(b.growth[0] == Approx(0.42));
  }
  SECTION("threshold and the sparsity extremes") {
    p.use_threshold = true;
    p.threshold = 0.95;
    CHECK(DuoAttentionSource(m, p, 3).achieved_sparsity() == Approx(0.75));
    p.use_threshold = false;
    p.sparsity = 1.0;
    CHECK(DuoAttentionSource(m, p, 3).achieved_sparsity() == Approx(1.0));
    p.sparsity = 0.0;
    CHECK(DuoAttentionSource(m, p, 3).achieved_sparsity() == Approx(0.0));
  }
}

TEST_CASE("moa span: min(int(alpha + beta*N), N), at least 128, up to a multiple of 64") {
  CHECK(moa_span(0, 0.5, 1000) == 512);     // 500 -> 512
  CHECK(moa_span(-1024, 1, 1000) == 128);   // int(-24) = -24 -> 128
  CHECK(moa_span(3072, 0, 1000) == 1024);   // min(3072, 1000) = 1000 -> 1024 (the source clamps to N)
  CHECK(moa_span(100, 0.1, 1000) == 256);   // 200 -> 256
  CHECK(moa_span(0.7, 0, 200) == 128);      // int(0.7) = 0 -> 128
  CHECK(moa_span(-0.7, 0, 200) == 128);     // int(-0.7) = 0 (toward zero) -> 128
}

TEST_CASE("moa source: group max or mean, clamped to the prompt, growth to the final span") {
  const ModelSpec m = tiny_model(1, 4, 2);
  MoaParams p{.alphas = {.layers = 1, .heads = 4, .values = {0, -1024, 3072, 100}},
              .betas = {.layers = 1, .heads = 4, .values = {0.5, 1, 0, 0.1}},
              .reduce = GroupReduce::max, .file_label = "test"};
  HeadBudgets b;
  // N = 1000: q spans clamped to N are 512, 128, 1000, 256.
  // N = 2000: 1024, int(976) -> 1024, 2000 (2048 clamped), 300 -> 320.
  MoaSource(m, p).budgets({.id = 1, .prompt_tokens = 1000, .output_tokens = 1000}, b);
  CHECK(b.kept[0] == 512);
  CHECK(b.kept[1] == 1000);
  CHECK(b.growth[0] == Approx(0.512));  // (1024 - 512) / 1000
  CHECK(b.growth[1] == Approx(1.0));    // (2000 - 1000) / 1000
  p.reduce = GroupReduce::mean;
  MoaSource(m, p).budgets({.id = 1, .prompt_tokens = 1000, .output_tokens = 1000}, b);
  CHECK(b.kept[0] == 320);  // ceil((512 + 128) / 2)
  CHECK(b.kept[1] == 628);  // ceil((1000 + 256) / 2)
  CHECK(b.growth[0] == Approx((1024 - 320) / 1000.0));  // mean(1024, 1024) = 1024
  CHECK(b.growth[1] == Approx((1160 - 628) / 1000.0));  // mean(2000, 320) = 1160
}

TEST_CASE("explicit budgets inline: clamped to the prompt, growth per head") {
  const ModelSpec m = tiny_model(1, 2, 2);
  auto src = make({{"kind", "explicit"}, {"budgets", {{10, 2000}}}, {"growth", {{0, 0.5}}}}, m);
  HeadBudgets b;
  src->budgets({.id = 1, .prompt_tokens = 1000, .output_tokens = 10}, b);
  CHECK(b.kept[0] == 10);
  CHECK(b.kept[1] == 1000);
  CHECK(b.growth[0] == 0.0f);
  CHECK(b.growth[1] == 0.5f);
}

TEST_CASE("group reduction of q-head data: max or mean over consecutive q heads") {
  const ModelSpec m = tiny_model(1, 4, 2);
  const HeadGrid g{.layers = 1, .heads = 4, .values = {1, 3, 2, 6}};
  CHECK(reduce_to_kv_heads(g, m, GroupReduce::max).values == std::vector<double>{3, 6});
  CHECK(reduce_to_kv_heads(g, m, GroupReduce::mean).values == std::vector<double>{2, 4});
}
