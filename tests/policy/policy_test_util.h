// Helpers of the policy tests: a tiny vision-language model whose numbers are easy to follow by hand,
// and a scheduler set up on it without the event loop (so a test can step it and read each plan).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/executor/step_plan.h"
#include "sim/placement/placement.h"
#include "sim/policy/attention_policy.h"
#include "sim/scenario/scenario.h"
#include "sim/run/simulation.h"
#include "sim/schedule/batch_scheduler.h"
#include "tests/support/temp_dir.h"

namespace kvsim::testing {

// 2 layers, hidden 64, 4 q heads over 2 kv heads of 16, and a one-layer vision tower whose tiles give
// 100 tokens. KV per token per kv head per layer: 64 B.
inline nlohmann::json tiny_vlm() {
  return {{"name", "tiny-vlm"}, {"layers", 2}, {"hidden", 64}, {"ffn", 128}, {"q_heads", 4}, {"kv_heads", 2},
          {"head_dim", 16}, {"vocab", 100},
          {"vision", {{"layers", 1}, {"hidden", 32}, {"ffn", 64}, {"heads", 2}, {"patch_tokens", 100},
                      {"extra_tokens", 0}, {"projector_hidden", 32}}}};
}

// A scenario of the tiny VLM on `gpus` GPUs with plenty of memory, reading `trace`.
inline nlohmann::json tiny_vlm_scenario(int gpus, const std::string& trace, const nlohmann::json& attention_policy) {
  return {{"schema_version", 1},
          {"seed", 5},
          {"model", tiny_vlm()},
          {"hardware", {{"gpus", gpus}, {"reserve_fraction", 0.0},
                        {"gpu", {{"name", "toy"}, {"memory_gib", 1.0}, {"hbm_tb_per_s", 1.0}, {"bf16_tflops", 100.0},
                                 {"interconnect_gb_per_s", 100.0}, {"interconnect_latency_us", 5.0}}}}},
          {"workload", {{"arrival", "trace"}, {"trace", trace}}},
          {"attention_policy", attention_policy},
          {"placement", {{"kind", "tensor_parallel"}}}};
}

inline Request vlm_request(std::int64_t id, int prefix, int image_tokens, int text, int output, int images = 1) {
  return Request{.id = id, .prompt_tokens = prefix + image_tokens + text, .output_tokens = output,
                 .prefix_tokens = prefix, .images = image_tokens > 0 ? images : 0, .image_tokens = image_tokens};
}

// A BatchScheduler on a scenario's model, placement and policy, stepped by hand.
struct SchedulerRig {
  Scenario scenario;
  std::unique_ptr<AttentionPolicy> policy;
  Placement placement;
  Deployment deployment;
  std::vector<RequestRecord> records;
  std::unique_ptr<BatchScheduler> scheduler;

  SchedulerRig(Scenario s, int requests) : scenario(std::move(s)) {
    policy = make_attention_policy(scenario);
    PlacementRequest preq{.model = &scenario.model, .gpus = scenario.gpus};
    preq.head_load.assign(static_cast<std::size_t>(scenario.model.layers) * scenario.model.kv_heads, 1.0);
    placement = make_placement(scenario.placement, preq, scenario.file, "/placement");
    deployment = Deployment{.model = scenario.model, .gpu = scenario.gpu, .gpus = scenario.gpus,
                            .kv_heads_held = {}, .kv_heads_served = {},
                            .weight_bytes = placement.weight_bytes_per_gpu(scenario.model)};
    records.resize(static_cast<std::size_t>(requests));
    for (int i = 0; i < requests; ++i) records[static_cast<std::size_t>(i)].id = i;
    scheduler = std::make_unique<BatchScheduler>(scenario, deployment, placement, *policy, records);
  }
  // Plans one step and returns a copy of its decode KV tokens (empty if nothing decodes), then ends it.
  std::vector<double> step(StepPlan& plan, double t = 0) {
    if (!scheduler->plan_step(t, plan)) return {};
    std::vector<double> decode(plan.decode_kv_tokens.begin(), plan.decode_kv_tokens.end());
    scheduler->finish_step(t);
    return decode;
  }
};

}  // namespace kvsim::testing
