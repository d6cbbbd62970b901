// A small validation scenario for the tests: LLaMA-3-8B on one H200, AdaKV budgets, a batch of
// requests with chunked prefill, priced with the committed 1-GPU H200 profile.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace kvsim::testing {

inline std::string h200_profile() { return std::string(KVSIM_SOURCE_DIR) + "/calibration/profiles/h200/h200-1gpu.json"; }

inline nlohmann::json validate_scenario_json(int gpus = 1) {
  return {{"schema_version", 1},
          {"name", "validate-small"},
          {"seed", 3},
          {"model", "llama-3-8b"},
          {"hardware", {{"gpu", "h200"}, {"gpus", gpus}}},
          {"workload", {{"arrival", "batch"}, {"requests", 6}, {"prompt_tokens", {{"uniform", {300, 900}}}}, {"output_tokens", 12}}},
          {"kv_policy", {{"kind", "adakv"}, {"budget", 64}, {"skew", "zipf-1.0"}, {"variation", 0.3}}},
          {"scheduler", {{"max_batch_size", 8}, {"max_batched_tokens", 1024}}}};
}

}  // namespace kvsim::testing
