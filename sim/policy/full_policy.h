// FullPolicy: attention over everything a per-head budget source keeps of the whole prompt, images
// included (the text-LLM path: "kv_policy" alone decides; with kv_policy "full", the full cache).
// Computed tokens equal stored tokens; no refresh; the prompt passes every layer whole.
#pragma once

#include <memory>

#include "sim/policy/attention_policy.h"

namespace kvsim {

class FullPolicy final : public AttentionPolicy {
 public:
  explicit FullPolicy(std::unique_ptr<BudgetSource> budgets) : budgets_(std::move(budgets)) {}
  std::string_view name() const override { return "full"; }
  void footprint(const Request& request, PolicyFootprint& out) const override;
  std::string describe() const override { return budgets_->describe(); }

 private:
  std::unique_ptr<BudgetSource> budgets_;
};

}  // namespace kvsim
