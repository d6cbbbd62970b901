// The FastV filter: layers from after_layer on process and cache only floor(keep * I) of the image
// tokens, so prefill rows and causal pairs shrink there (in one step or over chunks), decode reads
// fewer tokens there, and the step is faster than with the full cache.
#include "tests/support/catch.h"

#include <numeric>

#include "tests/policy/policy_test_util.h"

using kvsim::StepPlan;
using kvsim::testing::SchedulerRig;
using kvsim::testing::vlm_request;

namespace {

nlohmann::json fastv_scenario(int max_batched_tokens) {
  auto doc = kvsim::testing::tiny_vlm_scenario(1, "x.csv", {{"kind", "fastv"}, {"after_layer", 1}, {"keep", 0.5}});
  doc["scheduler"] = {{"max_batch_size", 4}, {"max_batched_tokens", max_batched_tokens}};
  return doc;
}

}  // namespace

TEST_CASE("FastV shrinks the prefill of the layers after the filter") {
  SchedulerRig r(kvsim::parse_scenario(fastv_scenario(1000), "t.json", "."), 2);
  // 100 image + 20 text tokens: layer 0 sees 120, layer 1 sees 20 + floor(0.5 * 100) = 70.
  r.scheduler->arrive(vlm_request(0, 0, 100, 20, 3));
  r.scheduler->arrive(vlm_request(1, 0, 0, 30, 3));  // text only: 30 tokens in every layer
  StepPlan plan;
  REQUIRE(r.scheduler->plan_step(0, plan));
  CHECK(plan.prefill_tokens == 150);
  REQUIRE(plan.prefill_tokens_per_layer.size() == 2);
  CHECK(plan.prefill_tokens_per_layer[0] == Approx(150));
  CHECK(plan.prefill_tokens_per_layer[1] == Approx(100));
  // Causal pairs x 2 kv heads: 120*121/2 + 30*31/2 in layer 0, 70*71/2 + 30*31/2 in layer 1.
  REQUIRE(plan.prefill_pairs.size() == 2);
  CHECK(plan.prefill_pairs[0] == Approx(2 * (7260 + 465)));
  CHECK(plan.prefill_pairs[1] == Approx(2 * (2485 + 465)));
  CHECK(plan.vision_tiles == 1);
  r.scheduler->finish_step(1.0);
  // The first decode step reads 121 + 31 tokens per head in layer 0 and 71 + 31 in layer 1.
  REQUIRE(r.scheduler->plan_step(1.0, plan));
  REQUIRE(plan.decode_kv_tokens.size() == 2);
  CHECK(plan.decode_kv_tokens[0] == Approx(2 * (121 + 31)));
  CHECK(plan.decode_kv_tokens[1] == Approx(2 * (71 + 31)));
}

TEST_CASE("a chunked FastV prefill adds up to the unchunked one") {
  auto pairs_of = [](int budget) {
    SchedulerRig r(kvsim::parse_scenario(fastv_scenario(budget), "t.json", "."), 1);
    r.scheduler->arrive(vlm_request(0, 0, 100, 20, 2));
    std::vector<double> total(2, 0.0);
    StepPlan plan;
    int steps = 0;
    while (r.scheduler->plan_step(steps, plan) && !plan.prefill_pairs.empty()) {
      for (std::size_t i = 0; i < 2; ++i) total[i] += plan.prefill_pairs[i];
      r.scheduler->finish_step(++steps);
    }
    return std::make_pair(total, steps);
  };
  const auto [whole, one] = pairs_of(1000);
  const auto [chunked, two] = pairs_of(60);
  CHECK(one == 1);
  CHECK(two == 2);
  CHECK(chunked[0] == Approx(whole[0]));
  CHECK(chunked[1] == Approx(whole[1]));
  CHECK(whole[1] == Approx(2 * 70.0 * 71 / 2));
}

TEST_CASE("FastV makes prefill and decode faster than the full cache, and stores less") {
  kvsim::testing::TempDir dir;
  std::string csv = "arrival_s,prompt_tokens,output_tokens,images,image_tokens\n";
  for (int i = 0; i < 4; ++i) csv += "0,20,8,1,100\n";
  const std::string trace = dir.write("t.csv", csv);
  auto run = [&](const nlohmann::json& policy) {
    return kvsim::simulate(kvsim::parse_scenario(kvsim::testing::tiny_vlm_scenario(1, trace, policy), "t.json", dir.path()));
  };
  const kvsim::RunResult full = run({{"kind", "full"}});
  const kvsim::RunResult fastv = run({{"kind", "fastv"}, {"after_layer", 1}, {"keep", 0.5}});
  REQUIRE(full.step_records.size() == fastv.step_records.size());
  CHECK(fastv.step_records[0].duration_s < full.step_records[0].duration_s);  // the prefill step
  CHECK(fastv.decode_attention_s < full.decode_attention_s);
  // KV at the last step, 4 requests x 2 heads x 64 B: full (120 + 7) in both layers; FastV 70 + 7 in layer 1.
  CHECK(full.gpu[0].peak_kv_bytes == 4 * 2 * 64 * (127 + 127));
  CHECK(fastv.gpu[0].peak_kv_bytes == 4 * 2 * 64 * (127 + 77));
  // Each request's own KV at its last step (summary.json's requests/kv_bytes_mean).
  CHECK(full.requests[0].kv_bytes == 2 * 64 * (127 + 127));
  CHECK(fastv.requests[3].kv_bytes == 2 * 64 * (127 + 77));
}
