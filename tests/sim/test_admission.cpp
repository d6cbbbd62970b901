// Admission by per-GPU KV memory, and rejection of requests that can never fit.
#include "tests/support/catch.h"

#include "sim/run/simulation.h"
#include "sim/scenario/scenario.h"
#include "tests/sim/tiny_model.h"
#include "tests/support/temp_dir.h"

using kvsim::testing::TempDir;

TEST_CASE("requests wait for memory and one that can never fit is rejected") {
  TempDir dir;
  // Full cache, output 1: a prompt of 100 needs 2 layers x 2 heads x 100 x 64 B = 25,600 B on one GPU.
  // Memory = weights 173,696 + 64,000 B of KV room: two such requests fit at once, not three.
  // The prompt of 300 needs 76,800 B: more than the GPU has, whatever else runs.
  const std::string trace = dir.write(
      "t.csv", "arrival_s,prompt_tokens,output_tokens\n0,100,1\n0,100,1\n0,300,1\n0,100,1\n0,100,1\n0,100,1\n");
  const auto s = kvsim::parse_scenario(kvsim::testing::tiny_scenario(1, 173696 + 64000, trace), "t.json", dir.path());
  REQUIRE(s.gpu.memory_bytes == 237696);
  const kvsim::RunResult r = kvsim::simulate(s);
  CHECK(r.peak_running == 2);
  CHECK(r.steps == 3);  // 2 + 2 + 1 prompts
  int completed = 0, rejected = 0;
  for (const auto& q : r.requests) {
    completed += q.completed();
    rejected += !q.rejected_reason.empty();
  }
  CHECK(completed == 5);
  CHECK(rejected == 1);
  CHECK(r.requests[2].rejected_reason.rfind("kv_exceeds_gpu_memory: needs ", 0) == 0);
  CHECK_FALSE(r.requests[2].completed());
  // Later requests were admitted at the end of the earlier steps, in arrival order.
  CHECK(r.requests[0].admitted_s == 0.0);
  CHECK(r.requests[3].admitted_s > 0.0);
  CHECK(r.requests[4].admitted_s == r.requests[3].admitted_s);
  CHECK(r.requests[5].admitted_s > r.requests[4].admitted_s);
  CHECK(r.gpu[0].peak_kv_bytes == 51200);
}

TEST_CASE("the batch size bound and the token budget are respected") {
  TempDir dir;
  std::string csv = "arrival_s,prompt_tokens,output_tokens\n";
  for (int i = 0; i < 10; ++i) csv += "0,100,20\n";
  const std::string trace = dir.write("t.csv", csv);
  auto doc = kvsim::testing::tiny_scenario(1, 1e9, trace);
  doc["scheduler"] = {{"max_batch_size", 3}, {"max_batched_tokens", 250}, {"chunked_prefill", true}};
  const auto s = kvsim::parse_scenario(doc, "t.json", dir.path());
  const kvsim::RunResult r = kvsim::simulate(s);
  CHECK(r.peak_running == 3);
  for (const auto& step : r.step_records) CHECK(step.prefill_tokens + step.decode_requests <= 250);
  for (const auto& q : r.requests) CHECK(q.completed());
  // The third prompt is chunked: 250 - 200 = 50 tokens in the first step, the rest in the second.
  CHECK(r.step_records[0].prefill_tokens == 250);
  CHECK(r.requests[2].first_token_s > r.requests[0].first_token_s);
}

TEST_CASE("without chunked prefill a prompt larger than the budget runs alone") {
  TempDir dir;
  const std::string trace = dir.write("t.csv", "arrival_s,prompt_tokens,output_tokens\n0,500,2\n0,100,2\n");
  auto doc = kvsim::testing::tiny_scenario(1, 1e9, trace);
  doc["scheduler"] = {{"max_batch_size", 4}, {"max_batched_tokens", 200}, {"chunked_prefill", false}};
  const kvsim::RunResult r = kvsim::simulate(kvsim::parse_scenario(doc, "t.json", dir.path()));
  REQUIRE(r.step_records.size() >= 2);
  CHECK(r.step_records[0].prefill_tokens == 500);
  CHECK(r.step_records[1].prefill_tokens == 100);
  CHECK(r.step_records[1].decode_requests == 1);
}
