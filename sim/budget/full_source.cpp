// See full_source.h.
#include "sim/budget/full_source.h"

#include <algorithm>

namespace kvsim {

void FullSource::budgets(const RequestShape& request, HeadBudgets& out) const {
  out.resize(layers_, kv_heads_);
  std::fill(out.kept.begin(), out.kept.end(), std::max(0, request.prompt_tokens));
  std::fill(out.growth.begin(), out.growth.end(), 1.0f);
}

std::unique_ptr<BudgetSource> parse_full_source(const JsonReader& policy, const ModelSpec& model) {
  policy.reject_unknown_keys({"kind"});
  return std::make_unique<FullSource>(model);
}

}  // namespace kvsim
