// FullSource: no compression. Every (layer, kv head) keeps the whole prompt and appends every
// generated token: the baseline every compressed policy is compared with.
#pragma once

#include "sim/budget/budget_source.h"
#include "sim/scenario/json_reader.h"

namespace kvsim {

class FullSource final : public BudgetSource {
 public:
  explicit FullSource(const ModelSpec& model) : layers_(model.layers), kv_heads_(model.kv_heads) {}
  std::string_view name() const override { return "full"; }
  void budgets(const RequestShape& request, HeadBudgets& out) const override;
  std::string describe() const override { return "full: every head keeps the whole prompt"; }

 private:
  int layers_, kv_heads_;
};

// {"kind": "full"}
std::unique_ptr<BudgetSource> parse_full_source(const JsonReader& policy, const ModelSpec& model);

}  // namespace kvsim
