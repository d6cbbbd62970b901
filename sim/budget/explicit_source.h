// ExplicitSource: budgets given per layer and kv head, inline in the kv_policy or in a JSON file, for
// budgets computed elsewhere (another method, a real profiling run). Each head keeps
// min(budget, prompt) tokens and grows by its growth per decode step (default 1: appends every token;
// 0: a fixed window). The same budgets serve every request.
#pragma once

#include <string>
#include <vector>

#include "sim/budget/budget_source.h"
#include "sim/scenario/json_reader.h"

namespace kvsim {

struct ExplicitParams {
  std::vector<std::int32_t> budgets;  // [layer * kv_heads + head] >= 0
  std::vector<float> growth;          // same shape, in [0, 1]
  std::string label;                  // for describe()
};

class ExplicitSource final : public BudgetSource {
 public:
  ExplicitSource(const ModelSpec& model, ExplicitParams params);
  std::string_view name() const override { return "explicit"; }
  void budgets(const RequestShape& request, HeadBudgets& out) const override;
  std::string describe() const override { return "explicit: budgets from " + params_.label; }

 private:
  int layers_, kv_heads_;
  ExplicitParams params_;
};

// {"kind": "explicit", "budgets": [[b per kv head] per layer] or "file": "<JSON file>" (exactly one),
//  "growth": 1.0 or [[g per kv head] per layer]}. The file holds either the array of budgets or an
// object {"budgets": [[...]], "growth": ...}.
std::unique_ptr<BudgetSource> parse_explicit_source(const JsonReader& policy, const ModelSpec& model,
                                                    const std::filesystem::path& base_dir);

}  // namespace kvsim
