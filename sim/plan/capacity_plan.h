// Capacity planning (kvsim plan): for a model, a traffic level and latency SLOs, find the cheapest
// configuration of GPU count x placement x KV budget that serves the traffic within the SLOs.
//
// PLAN.json:
//   {"schema_version": 1,
//    "base": "scenario.json" | {...},                 model, GPU type, kv_policy, scheduler, prompt shape
//    "traffic": {"rate_per_s": 2.0,                   the request rate to serve (Poisson arrivals)
//                "requests": 500},                    optional: requests simulated per trial (default:
//                                                     the base's count); prompt and output lengths come
//                                                     from the base's workload (or "prompt_tokens",
//                                                     "output_tokens" here, as in a scenario)
//    "slo": {"ttft_p99_s": 2.0, "tpot_p99_s": 0.05},  either or both
//    "search": {"gpus": [1, 2, 4, 8],
//               "placements": ["tensor_parallel", {"kind": "fair_copying", "copy_budget": 40}],
//               "budgets": [256, 512, 1024],          optional: values of /kv_policy/budget
//               "iterations": 6,                      optional: bisection steps of the rate search
//               "max_rate_factor": 16},               optional: search up to this multiple of the target
//    "cost": {"per_gpu_hour": 3.5, "currency": "USD"}}  optional
//
// Search (as Vidur's capacity search): for every configuration, the largest Poisson rate it
// sustains, by bisection. A rate is sustained when every request completes (none rejected) and the
// p99 TTFT and p99 TPOT are within the SLOs. The rate is bracketed by doubling from the target (or
// bisecting below it), then bisected `iterations` times; arrivals at rate r are the same seeded
// arrivals scaled by 1/r, so trials differ only in load. A configuration that does not fit (weights
// larger than the GPUs) is reported as such. The answer: of the configurations that sustain the
// target rate, the one with the fewest GPUs; ties go to the higher sustainable rate (headroom), then
// the larger budget (fewer tokens evicted). Deterministic: same file, same answer.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario/scenario.h"

namespace kvsim::plan {

inline constexpr int kPlanSchemaVersion = 1;

struct PlanSpec {
  std::string file = {};
  Scenario base = {};
  double target_rate_per_s = 0;
  int requests = 0;
  nlohmann::json prompt_tokens = {}, output_tokens = {};  // as in a scenario's workload
  double ttft_p99_s = 0;   // 0: no SLO
  double tpot_p99_s = 0;   // 0: no SLO
  std::vector<int> gpus = {};
  std::vector<nlohmann::json> placements = {};
  std::vector<nlohmann::json> budgets = {};  // empty: the base's kv_policy as it is
  int iterations = 6;
  double max_rate_factor = 16;
  double per_gpu_hour = 0;                   // 0: no cost given
  std::string currency = "USD";
};

// One trial: a configuration at one rate.
struct Trial {
  double rate_per_s = 0;
  bool meets = false;
  int completed = 0, rejected = 0;
  double ttft_p99_s = 0, tpot_p99_s = 0, output_tokens_per_s = 0;
  std::string why_not = {};  // which SLO failed, in words
};

struct ConfigResult {
  int gpus = 0;
  nlohmann::json placement = {};
  nlohmann::json budget = {};     // null when the search does not vary it
  std::string label = {};         // "4 x H200, fair_copying, budget 512"
  bool fits = true;
  std::string error = {};         // why it cannot run (fits == false)
  Trial at_target = {};
  double max_rate_per_s = 0;      // largest rate found sustainable (0: none)
  std::vector<Trial> trials = {};
};

struct PlanResult {
  std::vector<ConfigResult> configs = {};
  std::optional<std::size_t> answer = {};  // index into configs
  std::string explanation = {};            // plain words, several sentences
};

PlanSpec load_plan(const std::string& path);
PlanSpec parse_plan(const nlohmann::json& root, const std::string& file, const std::filesystem::path& base_dir);
// Checks every configuration's scenario (throws InputError) before anything runs.
void validate_plan(const PlanSpec& spec);
// The scenario of one configuration at one rate.
Scenario config_scenario(const PlanSpec& spec, int gpus, const nlohmann::json& placement, const nlohmann::json& budget,
                         double rate_per_s);
// Runs the search over all configurations on `jobs` threads.
PlanResult run_plan(const PlanSpec& spec, int jobs);
// The answer and the alternatives in plain words (run_plan fills PlanResult::explanation with it).
std::string explain(const PlanSpec& spec, const PlanResult& result);
// plan.json and plan.md.
nlohmann::json plan_json(const PlanSpec& spec, const PlanResult& result);
std::string plan_markdown(const PlanSpec& spec, const PlanResult& result);

}  // namespace kvsim::plan
