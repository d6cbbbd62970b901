// HeadKvSource: HeadKV's static per-head budgets (Fu et al., "Not All Heads Matter", FYYFU/HeadKV,
// ReasonSnapKVCluster). From offline head scores s (a score file: mean of each head's list), reduced to
// kv heads by group_reduce and normalised over all layers and heads (then s^temp, normalised again):
//   budget_h = round(s_h * (b // beta) * L * H + b - b // beta),   b = budget - window
// (round half to even as torch.round; b // beta = floor(b / beta)). The pool (b // beta) * L * H spans
// all layers, so one layer may hold far more than another; the whole model keeps about L*H*b tokens
// plus the window. Each head keeps window + min(budget_h, prompt - window) tokens; prompts with
// b > prompt - window stay uncompressed. Every decode token is appended (growth 1).
//
// Reducing the scores (not the q-head budgets) keeps the pool L*H*b for kv heads; with "mean" and
// temp 1 each kv head's budget equals the mean of its q heads' HeadKV budgets up to rounding.
#pragma once

#include <string>
#include <vector>

#include "sim/budget/budget_source.h"
#include "sim/scenario/json_reader.h"

namespace kvsim {

struct HeadKvParams {
  int budget = 512;                // average tokens per head, window included
  int window = 32;
  double beta = 1.2;               // share of the budget that is pooled: b // beta
  double temp = 1.0;               // HeadKV's temperature on the normalised scores
  std::vector<double> scores;      // [layer * kv_heads + head] >= 0, not all zero (kv heads already)
  std::string scores_label;        // for describe()
};

// The per-head budgets (window excluded) of HeadKV's formula for scores over all L*H heads.
std::vector<int> headkv_head_budgets(const std::vector<double>& scores, int b, double beta, double temp);

class HeadKvSource final : public BudgetSource {
 public:
  HeadKvSource(const ModelSpec& model, HeadKvParams params);
  std::string_view name() const override { return "headkv"; }
  void budgets(const RequestShape& request, HeadBudgets& out) const override;
  std::string describe() const override;
  const std::vector<int>& head_budgets() const { return head_budgets_; }

 private:
  int layers_, kv_heads_;
  HeadKvParams params_;
  std::vector<int> head_budgets_;  // window excluded
};

// {"kind": "headkv", "budget": B (required), "window": 32, "beta": (required, >= 1),
//  "temp": 1.0, "scores": "<HeadKV score file>" (required), "group_reduce": "max" | "mean"}
std::unique_ptr<BudgetSource> parse_headkv_source(const JsonReader& policy, const ModelSpec& model,
                                                  const std::filesystem::path& base_dir);

}  // namespace kvsim
