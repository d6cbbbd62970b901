// Token accounting per policy on small hand-computed cases: what each (layer, kv head) stores after
// prefill, how fast that grows, what a normal and a refresh decode step compute, and the prefill share
// of filtered layers. Rounding rules: sim/policy/token_rules.h.
#include "tests/support/catch.h"

#include "sim/model/model_spec.h"
#include "sim/policy/attention_policy.h"
#include "sim/policy/token_rules.h"
#include "tests/policy/policy_test_util.h"

using kvsim::PolicyFootprint;
using kvsim::testing::vlm_request;

namespace {

std::unique_ptr<kvsim::AttentionPolicy> policy(const nlohmann::json& attention, const std::string& model = "llava-1.5-7b",
                                               const nlohmann::json& kv_policy = {{"kind", "full"}}) {
  return kvsim::make_attention_policy(attention, kv_policy, *kvsim::model_preset(model), 1, "t.json", ".");
}

}  // namespace

TEST_CASE("rounding rules: image shares are floored, A-VL's text budget rounds half to even") {
  using namespace kvsim::policy_rules;
  CHECK(share_floor(0.5, 576) == 288);
  CHECK(share_floor(0.3, 576) == 172);  // 172.8
  CHECK(share_floor(1.0 - 0.7, 576) == 172);  // A-VL's (1 - compute_rate) * 576 = 172.80000000000001
  CHECK(share_floor(0.3, 10) == 3);     // 2.9999999999999996 in binary: the slack keeps it 3
  CHECK(share_round(0.5, 25) == 12);    // 12.5 -> 12 (even)
  CHECK(share_round(0.5, 27) == 14);    // 13.5 -> 14 (even)
  CHECK(avl_text_tokens(0.6, 20, 20) == 20);   // round(12) = 12 -> at least 20, at most 20
  CHECK(avl_text_tokens(0.6, 20, 10) == 10);   // never more than the text
  CHECK(avl_text_tokens(0.6, 20, 60) == 36);
  CHECK(avl_text_heavy(0.7, 36) == 25);        // 25.2 heavy hitters, 11 recent
  CHECK(h2o_tokens(0.125, 0.375, 671) == 83 + 251);
  CHECK(streaming_tokens(4, 252, 671) == 256);
  CHECK(streaming_tokens(4, 252, 200) == 200);
}

TEST_CASE("A-VL defaults: 576 image tokens, keep 50%, compute 30% -> 288 stored, 172 computed") {
  const auto avl = policy({{"kind", "a_vl"}});
  REQUIRE(avl->computes_subset());
  REQUIRE(avl->refresh_interval() == 3);
  // Prefix 35, one 576-token image, 60 text tokens, 11 output tokens (10 decode steps).
  PolicyFootprint f;
  avl->footprint(vlm_request(0, 35, 576, 60, 11), f);
  // Text: min(60, max(round(0.6 * 60), 20)) = 36; after 10 steps round(0.6 * 70) = 42: growth 0.6.
  for (int l = 0; l < 32; ++l) {
    for (int h = 0; h < 32; ++h) {
      const std::size_t i = static_cast<std::size_t>(l) * 32 + h;
      CHECK(f.stored.kept[i] == 35 + 288 + 36);
      CHECK(f.stored.growth[i] == Approx(0.6));
      CHECK(f.computed_at(i) == 35 + 172 + 36);
      CHECK(f.computed_growth_at(i) == Approx(0.6));
      CHECK(f.refresh_at(i) == 35 + 288 + 36);  // a refresh step attends every stored image token
    }
  }
  CHECK(f.prefill_share.empty());  // no filter: the whole prompt runs through every layer
}

TEST_CASE("A-VL with several images treats them as one pool") {
  const auto avl = policy({{"kind", "a_vl"}, {"vision_keep", 0.25}, {"vision_compute", 0.1}}, "llava-next-7b");
  PolicyFootprint f;
  avl->footprint(vlm_request(3, 10, 2 * 2880, 30, 1, 2), f);  // two LLaVA-NeXT images, no decode step
  // floor(0.25 * 5760) = 1440 stored, floor(0.1 * 5760) = 576 computed; text 30 -> max(18, 20) = 20.
  CHECK(f.stored.kept[0] == 10 + 1440 + 20);
  CHECK(f.computed_at(0) == 10 + 576 + 20);
  CHECK(f.stored.growth[0] == Approx(0.6));  // no decode step: the rate itself
}

TEST_CASE("A-VL's prefill filter caps the stored image tokens of the later layers") {
  // Filter after layer 3 keeping 25% (144 of 576), below the 288 that A-VL keeps.
  const auto avl = policy({{"kind", "a_vl"}, {"prefill_filter", {{"after_layer", 3}, {"keep", 0.25}}},
                           {"text", {{"keep", 1.0}, {"min_tokens", 0}}}});
  PolicyFootprint f;
  avl->footprint(vlm_request(0, 35, 576, 60, 5), f);
  const std::size_t early = 2 * 32, late = 3 * 32;  // layer 2 and layer 3, head 0
  CHECK(f.stored.kept[early] == 35 + 288 + 60);
  CHECK(f.computed_at(early) == 35 + 172 + 60);
  CHECK(f.stored.kept[late] == 35 + 144 + 60);   // min(288, 144)
  CHECK(f.computed_at(late) == 35 + 144 + 60);   // min(172, 144): the core is all there is
  CHECK(f.refresh_at(late) == f.computed_at(late));
  CHECK(f.stored.growth[late] == Approx(1.0));   // text keep 1: every generated token
  REQUIRE(f.prefill_share.size() == 32);
  CHECK(f.prefill_share[2] == 1.0f);
  CHECK(f.prefill_share[3] == Approx((671.0 - 432) / 671));  // 432 image tokens leave the hidden states
}

TEST_CASE("A-VL's text side can take per-head budgets of a text method") {
  // Explicit per-head text budgets on the tiny VLM (2 layers x 2 kv heads): 8, 3 / 5, 100.
  const kvsim::ModelSpec tiny = kvsim::parse_scenario(kvsim::testing::tiny_vlm_scenario(1, "x.csv", {{"kind", "full"}}),
                                                      "t.json", ".").model;
  const auto avl = kvsim::make_attention_policy(
      {{"kind", "a_vl"}, {"text", {{"budgets", {{"kind", "explicit"}, {"budgets", {{8, 3}, {5, 100}}}}}}}},
      {{"kind", "full"}}, tiny, 1, "t.json", ".");
  PolicyFootprint f;
  avl->footprint(vlm_request(0, 4, 100, 40, 3), f);
  // Image: floor(0.5 * 100) = 50 stored, 30 computed; text: min(budget, 40) per head, growth 1.
  CHECK(f.stored.kept == std::vector<std::int32_t>{4 + 50 + 8, 4 + 50 + 3, 4 + 50 + 5, 4 + 50 + 40});
  CHECK(f.computed == std::vector<std::int32_t>{4 + 30 + 8, 4 + 30 + 3, 4 + 30 + 5, 4 + 30 + 40});
  CHECK(f.stored.growth[3] == 1.0f);
}

TEST_CASE("FastV: layers from after_layer on hold floor(keep * I) image tokens") {
  const auto fastv = policy({{"kind", "fastv"}});  // K = 2, keep 0.5
  REQUIRE_FALSE(fastv->computes_subset());
  PolicyFootprint f;
  fastv->footprint(vlm_request(0, 35, 576, 60, 11), f);
  CHECK(f.stored.kept[0] == 671);             // layer 0
  CHECK(f.stored.kept[1 * 32 + 5] == 671);    // layer 1
  CHECK(f.stored.kept[2 * 32] == 35 + 288 + 60);
  CHECK(f.stored.kept[31 * 32 + 31] == 383);
  CHECK(f.computed_at(2 * 32) == 383);
  CHECK(f.stored.growth[0] == 1.0f);
  REQUIRE(f.prefill_share.size() == 32);
  CHECK(f.prefill_share[1] == 1.0f);
  CHECK(f.prefill_share[2] == Approx(383.0 / 671));
  // A text-only request passes every layer whole.
  fastv->footprint(vlm_request(1, 0, 0, 100, 2), f);
  CHECK(f.stored.kept[2 * 32] == 100);
  CHECK(f.prefill_share.empty());
}

TEST_CASE("H2O keeps 12.5% heavy + 37.5% recent of the sequence so far") {
  const auto h2o = policy({{"kind", "h2o"}});
  PolicyFootprint f;
  h2o->footprint(vlm_request(0, 35, 576, 60, 11), f);
  // S = 671: 83 + 251 = 334; after 10 steps S = 681: 85 + 255 = 340 -> growth 0.6.
  CHECK(f.stored.kept[0] == 334);
  CHECK(f.stored.kept[31 * 32 + 31] == 334);
  CHECK(f.stored.growth[0] == Approx(0.6));
  CHECK(f.computed_at(7) == 334);
}

TEST_CASE("StreamingLLM keeps sink + window, filling at one token per step until full") {
  const auto s = policy({{"kind", "streaming_llm"}, {"sink", 4}, {"window", 252}});
  PolicyFootprint f;
  s->footprint(vlm_request(0, 35, 576, 60, 11), f);
  CHECK(f.stored.kept[0] == 256);
  CHECK(f.stored.growth[0] == 0.0f);
  s->footprint(vlm_request(1, 0, 0, 200, 101), f);  // 200 + 100 steps reaches 256 after 56 of them
  CHECK(f.stored.kept[0] == 200);
  CHECK(f.stored.growth[0] == Approx(56.0 / 100));
}

TEST_CASE("the full policy stores and computes what kv_policy keeps of the whole prompt") {
  PolicyFootprint f;
  policy({{"kind", "full"}})->footprint(vlm_request(0, 35, 576, 60, 11), f);
  CHECK(f.stored.kept[0] == 671);
  CHECK(f.stored.growth[0] == 1.0f);
  CHECK_FALSE(f.computes_subset());
  policy({{"kind", "full"}}, "llava-1.5-7b", {{"kind", "uniform"}, {"budget", 256}})
      ->footprint(vlm_request(0, 35, 576, 60, 11), f);
  CHECK(f.stored.kept[0] == 256);
}
