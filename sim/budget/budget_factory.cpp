// make_budget_source(): the kv_policy "kind" selects the source; each source's file parses and checks
// its own keys. mean_kept_per_head(): offline per-head statistics for the placement engine.
#include <algorithm>

#include "sim/budget/adakv_source.h"
#include "sim/budget/budget_source.h"
#include "sim/budget/duoattention_source.h"
#include "sim/budget/explicit_source.h"
#include "sim/budget/full_source.h"
#include "sim/budget/headkv_source.h"
#include "sim/budget/moa_source.h"
#include "sim/budget/uniform_source.h"
#include "sim/core/rng.h"
#include "sim/scenario/json_reader.h"

namespace kvsim {

std::unique_ptr<BudgetSource> make_budget_source(const nlohmann::json& kv_policy, const ModelSpec& model,
                                                 std::uint64_t seed, const std::string& file,
                                                 const std::string& pointer, const std::filesystem::path& base_dir) {
  const JsonReader policy(kv_policy, file, pointer);
  policy.expect_object();
  const std::string kind =
      policy.choice("kind", {"full", "uniform", "adakv", "headkv", "duoattention", "moa", "explicit"});
  if (kind == "full") return parse_full_source(policy, model);
  if (kind == "uniform") return parse_uniform_source(policy, model);
  if (kind == "adakv") return parse_adakv_source(policy, model, seed, base_dir);
  if (kind == "headkv") return parse_headkv_source(policy, model, base_dir);
  if (kind == "duoattention") return parse_duoattention_source(policy, model, seed, base_dir);
  if (kind == "moa") return parse_moa_source(policy, model, base_dir);
  return parse_explicit_source(policy, model, base_dir);
}

std::vector<double> mean_kept_per_head(const BudgetSource& source, const ModelSpec& model, int samples,
                                       int prompt_tokens, std::uint64_t seed) {
  std::vector<double> mean(static_cast<std::size_t>(model.layers) * model.kv_heads, 0.0);
  HeadBudgets b;
  const int n = std::max(1, samples);
  for (int i = 0; i < n; ++i) {
    // Ids from their own stream, so the statistics never reuse a run's request ids 0, 1, 2, ...
    const auto id = static_cast<std::int64_t>(mix_seed(seed, 0x70726f66696c65 /* "profile" */, i) >> 1);
    source.budgets({.id = id, .prompt_tokens = prompt_tokens, .output_tokens = 1}, b);
    for (std::size_t k = 0; k < mean.size() && k < b.kept.size(); ++k) mean[k] += b.kept[k];
  }
  for (double& m : mean) m /= n;
  return mean;
}

}  // namespace kvsim
