// The built-in default scenario (kvsim run with no file): LLaMA-3-70B on 8 H200 with AdaKV budgets,
// the same traffic under standard tensor parallelism and under FairKV's placements.
#include "sim/scenario/scenario.h"

namespace kvsim {

const nlohmann::json& default_scenario_json() {
  static const nlohmann::json scenario = nlohmann::json::parse(R"json({
  "schema_version": 1,
  "name": "default",
  "seed": 1,
  "model": "llama-3-70b",
  "hardware": {"gpu": "h200", "gpus": 8},
  "workload": {"arrival": "batch", "requests": 256,
               "prompt_tokens": {"uniform": [8192, 16384]}, "output_tokens": 512},
  "kv_policy": {"kind": "adakv", "budget": 1024, "skew": "zipf-1.0", "variation": 0.3},
  "scheduler": {"max_batch_size": 256, "max_batched_tokens": 16384},
  "placement": {"kind": "tensor_parallel"},
  "variants": [
    {"name": "tensor_parallel", "set": {"/placement": {"kind": "tensor_parallel"}}},
    {"name": "best_effort", "set": {"/placement": {"kind": "best_effort"}}},
    {"name": "fair_copying", "set": {"/placement": {"kind": "fair_copying"}}},
    {"name": "balanced_split", "set": {"/placement": {"kind": "balanced_split"}}},
    {"name": "cost_search", "set": {"/placement": {"kind": "cost_search"}}}
  ]
})json");
  return scenario;
}

}  // namespace kvsim
