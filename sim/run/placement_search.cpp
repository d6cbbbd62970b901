// See placement_search.h.
#include "sim/run/placement_search.h"

#include <optional>
#include <vector>

#include "sim/core/input_error.h"
#include "sim/executor/tp_step_composer.h"
#include "sim/run/deployment.h"
#include "sim/scenario/json_reader.h"

namespace kvsim {

bool is_placement_search(const nlohmann::json& config) {
  return config.is_object() && config.contains("kind") && config["kind"] == "cost_search";
}

Placement search_placement(const Scenario& s, const PlacementRequest& request,
                           const std::function<std::unique_ptr<OpCosts>()>& make_costs, const std::string& pointer) {
  JsonReader(s.placement, s.file, pointer).reject_unknown_keys({"kind"});
  const std::vector<std::pair<std::string, nlohmann::json>> candidates = {
      {"fair_copying", {{"kind", "fair_copying"}}},
      {"balanced_split", {{"kind", "balanced_split"}}},
      {"fair_copying_unequal_heads", {{"kind", "fair_copying"}, {"equal_heads", false}}},
      {"best_effort", {{"kind", "best_effort"}}},
      {"tensor_parallel", {{"kind", "tensor_parallel"}}},
  };
  // One decode step of R requests, each holding the profiled mean KV per head.
  const double R = std::max(1.0, request.expected_concurrent_requests);
  StepPlan plan;
  plan.decode_requests = static_cast<int>(R);
  StepTiming timing;

  std::optional<Placement> best;
  double best_s = 0;
  std::string best_name;
  nlohmann::json tried = nlohmann::json::array();
  std::optional<InputError> last_error;
  for (const auto& [name, config] : candidates) {
    Placement p = make_placement(config, request, s.file, pointer);
    Deployment d;
    try {
      d = make_deployment(s, p);
    } catch (const InputError& e) {  // its copies' weights do not fit
      tried.push_back({{"name", name}, {"skipped", e.what()}});
      last_error = e;
      continue;
    }
    std::vector<double> tokens = p.layer_gpu_load(request.head_load);
    for (double& t : tokens) t *= R;
    plan.decode_kv_tokens = tokens;
    TpStepComposer composer(name, d, make_costs());
    composer.time_step(plan, timing);
    tried.push_back({{"name", name}, {"decode_step_s", timing.step_s}, {"extra_copies", p.extra_copies()}});
    if (!best || timing.step_s < best_s) {
      best = std::move(p);
      best_s = timing.step_s;
      best_name = name;
    }
  }
  if (!best) throw *last_error;
  best->search = {{"cost_search", {{"candidates", tried}, {"chosen", best_name}, {"requests_per_step", R}}},
                  {"chosen_search", best->search}};
  best->kind = "cost_search";
  return *best;
}

}  // namespace kvsim
