// BudgetSource: for every request, the KV tokens each (layer, kv head) keeps after prefill and how
// fast that grows during decode. One implementation per compression method (full, uniform, adakv,
// headkv, duoattention, moa, explicit), each in its own file; make_budget_source() builds one from the
// scenario's "kv_policy" object. The kv_policy schema is documented in sim/budget/README.md:
//
//   {"kind": "full"}
//   {"kind": "uniform", "budget": 512, "window": 32}
//   {"kind": "adakv", "budget": 512, "window": 32, "alpha": 0.2, "profile": "@head-profiles/..." | "skew": "zipf-1.0",
//    "variation": 0.3, "score_exponent": 1.0, "group_reduce": "max"}
//   {"kind": "headkv", "budget": 512, "window": 32, "beta": 1.2, "temp": 1.0, "scores": "@head-profiles/...",
//    "group_reduce": "max"}
//   {"kind": "duoattention", "gates": "@head-profiles/...tsv", "sparsity": 0.5 | "threshold": 0.8, "sink": 128,
//    "recent": 256, "group_reduce": "max"}
//   {"kind": "moa", "file": "@head-profiles/...json", "group_reduce": "max"}
//   {"kind": "explicit", "file": "budgets.json" | "budgets": [[...], ...], "growth": 1.0 | [[...], ...]}
//
// Tests: tests/budget (ctest -R budget).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/model/model_spec.h"

namespace kvsim {

struct RequestShape {
  std::int64_t id = 0;
  int prompt_tokens = 0;
  int output_tokens = 0;
};

// One request's KV footprint, filled by a BudgetSource.
struct HeadBudgets {
  int layers = 0, kv_heads = 0;
  // [layer * kv_heads + head]: tokens kept after prefill, 0..prompt_tokens.
  std::vector<std::int32_t> kept;
  // [layer * kv_heads + head]: tokens added per decode step. 1 = appends every generated token (all
  // compressed caches of the SnapKV family); 0 = fixed window. For methods whose footprint is not
  // linear in the step (DuoAttention streaming heads under sink+recent, MoA spans) it is the mean rate
  // that makes kept + growth * output_tokens equal the method's footprint after the last decode step:
  // exact at both ends, linear in between.
  std::vector<float> growth;

  void resize(int layer_count, int kv_head_count) {
    layers = layer_count;
    kv_heads = kv_head_count;
    kept.resize(static_cast<std::size_t>(layers) * kv_heads);
    growth.resize(static_cast<std::size_t>(layers) * kv_heads);
  }
  std::int32_t at(int layer, int head) const { return kept[static_cast<std::size_t>(layer) * kv_heads + head]; }
  std::int64_t total_kept() const {
    std::int64_t sum = 0;
    for (std::int32_t k : kept) sum += k;
    return sum;
  }
};

class BudgetSource {
 public:
  virtual ~BudgetSource() = default;
  virtual std::string_view name() const = 0;
  // Deterministic: depends only on the request (its id, lengths), the source's parameters and the
  // seed given at construction. Reuses out's storage (no allocation when the shape is unchanged).
  virtual void budgets(const RequestShape& request, HeadBudgets& out) const = 0;
  // One line for logs and reports: the parameters, the data file, the group reduction and any
  // derived figure (e.g. DuoAttention's achieved sparsity).
  virtual std::string describe() const { return std::string(name()); }
};

// Builds a source from the scenario's "kv_policy" JSON object. `file` and `pointer` locate that object
// for error messages (e.g. file "scenarios/x.json", pointer "/kv_policy"); base_dir resolves relative
// data paths ("@head-profiles/NAME" names the shared per-head data, see sim/core/data_path.h).
// Rejects unknown keys, wrong types, out-of-range values and data files whose shape does not match
// the model with InputError naming the exact JSON pointer (or TSV line) of the offending value.
std::unique_ptr<BudgetSource> make_budget_source(const nlohmann::json& kv_policy, const ModelSpec& model,
                                                 std::uint64_t seed, const std::string& file,
                                                 const std::string& pointer, const std::filesystem::path& base_dir);

// Mean kept tokens per [layer * kv_heads + head] over `samples` requests of `prompt_tokens` tokens,
// with request ids drawn from `seed` (distinct from a run's ids): the offline statistics a placement
// is computed from (FairKV places heads from profiled budgets, not from the requests it serves).
std::vector<double> mean_kept_per_head(const BudgetSource& source, const ModelSpec& model, int samples,
                                       int prompt_tokens, std::uint64_t seed);

}  // namespace kvsim
