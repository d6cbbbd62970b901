// See uniform_source.h.
#include "sim/budget/uniform_source.h"

#include <algorithm>

namespace kvsim {

UniformSource::UniformSource(const ModelSpec& model, UniformParams params)
    : layers_(model.layers), kv_heads_(model.kv_heads), params_(params) {}

void UniformSource::budgets(const RequestShape& request, HeadBudgets& out) const {
  out.resize(layers_, kv_heads_);
  std::fill(out.kept.begin(), out.kept.end(), std::clamp(request.prompt_tokens, 0, params_.budget));
  std::fill(out.growth.begin(), out.growth.end(), 1.0f);
}

std::string UniformSource::describe() const {
  return "uniform: " + std::to_string(params_.budget) + " tokens per head (window " + std::to_string(params_.window) +
         " included)";
}

std::unique_ptr<BudgetSource> parse_uniform_source(const JsonReader& policy, const ModelSpec& model) {
  policy.reject_unknown_keys({"kind", "budget", "window"});
  UniformParams p;
  p.budget = static_cast<int>(policy.integer("budget", 1, 1 << 30));
  p.window = static_cast<int>(policy.integer_or("window", 32, 0, p.budget));
  return std::make_unique<UniformSource>(model, p);
}

}  // namespace kvsim
