// UniformSource: SnapKV-style compression, one budget for every head. The budget counts the
// observation window (SnapKV's max_capacity_prompt): a prompt of N tokens keeps min(N, budget) tokens
// per head (SnapKV leaves prompts shorter than the budget uncompressed), and every generated token is
// appended (growth 1).
#pragma once

#include "sim/budget/budget_source.h"
#include "sim/scenario/json_reader.h"

namespace kvsim {

struct UniformParams {
  int budget = 512;  // tokens per head after prefill, window included
  int window = 32;   // observation window (last prompt tokens, always kept); only checked: window <= budget
};

class UniformSource final : public BudgetSource {
 public:
  UniformSource(const ModelSpec& model, UniformParams params);
  std::string_view name() const override { return "uniform"; }
  void budgets(const RequestShape& request, HeadBudgets& out) const override;
  std::string describe() const override;

 private:
  int layers_, kv_heads_;
  UniformParams params_;
};

// {"kind": "uniform", "budget": B (required, >= 1), "window": 32 (0..B)}
std::unique_ptr<BudgetSource> parse_uniform_source(const JsonReader& policy, const ModelSpec& model);

}  // namespace kvsim
