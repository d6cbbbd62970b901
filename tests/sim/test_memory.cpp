// Memory accounting, exact to the byte, against hand-computed values.
#include "tests/support/catch.h"

#include "sim/model/model_spec.h"
#include "sim/run/simulation.h"
#include "sim/scenario/scenario.h"
#include "tests/sim/tiny_model.h"
#include "tests/support/temp_dir.h"

using kvsim::testing::TempDir;

TEST_CASE("model weight bytes match hand counts") {
  const kvsim::ModelSpec tiny = kvsim::parse_scenario(
      kvsim::testing::tiny_scenario(1, 1e6, "x.csv"), "t.json", ".").model;
  CHECK(tiny.attention_weight_bytes_per_kv_head() == 12288);
  CHECK(tiny.mlp_weight_bytes_per_layer() == 49152);
  CHECK(tiny.total_weight_bytes() == 173696);
  CHECK(tiny.kv_bytes_per_head_token() == 64);
  // LLaMA-3-8B: 8.03 B parameters in bf16.
  const kvsim::ModelSpec llama8 = *kvsim::model_preset("llama-3-8b");
  CHECK(llama8.total_weight_bytes() == 16060522496LL);
  CHECK(llama8.kv_bytes_per_token() == 131072);  // 32 layers x 8 kv heads x 2 x 128 x 2 B
}

TEST_CASE("weights and peak KV per GPU are exact for a full cache under TP") {
  TempDir dir;
  // One request: prompt 100, output 11 -> 110 tokens per head at the last step.
  const std::string trace = dir.write("t.csv", "arrival_s,prompt_tokens,output_tokens\n0,100,11\n");
  const auto s = kvsim::parse_scenario(kvsim::testing::tiny_scenario(2, 1e6, trace), "t.json", dir.path());
  const kvsim::RunResult r = kvsim::simulate(s);
  REQUIRE(r.gpu.size() == 2);
  // Each GPU holds one kv head per layer: 2 x 12,288 attention bytes, and half of the rest
  // (2 x (49,152 + 256) + 25,600 + 128 = 124,544 -> 62,272 each).
  CHECK(r.gpu[0].weights_bytes == 24576 + 62272);
  CHECK(r.gpu[1].weights_bytes == 24576 + 62272);
  CHECK(r.gpu[0].weights_bytes + r.gpu[1].weights_bytes == 173696);
  // KV: 2 layers x 1 head x 110 tokens x 64 B.
  CHECK(r.gpu[0].peak_kv_bytes == 14080);
  CHECK(r.gpu[1].peak_kv_bytes == 14080);
  // Capacity: memory (1e6 B truncated by the GiB conversion) minus weights, no reserve.
  CHECK(r.gpu[0].kv_capacity_bytes == s.gpu.memory_bytes - 86848);
}

TEST_CASE("compressed budgets shrink KV exactly") {
  TempDir dir;
  const std::string trace = dir.write("t.csv", "arrival_s,prompt_tokens,output_tokens\n0,1000,5\n");
  auto doc = kvsim::testing::tiny_scenario(1, 1e6, trace);
  doc["kv_policy"] = {{"kind", "uniform"}, {"budget", 64}};
  const auto s = kvsim::parse_scenario(doc, "t.json", dir.path());
  const kvsim::RunResult r = kvsim::simulate(s);
  // 2 layers x 2 heads x (64 kept + 4 decoded) x 64 B.
  CHECK(r.gpu[0].peak_kv_bytes == 2 * 2 * 68 * 64);
}
