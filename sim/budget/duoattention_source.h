// DuoAttentionSource: DuoAttention's retrieval and streaming heads (Xiao et al., mit-han-lab/
// duo-attention, sparsify_attention_heads). Each kv head has a learned gate in [0, 1]. At sparsity s
// the threshold is the s-quantile of all gates (numpy's linear interpolation, after DuoAttention's
// tie-breaking noise uniform in [0, 1e-6), drawn here from the seed); s >= 1 makes every head
// streaming, s <= 0 every head full. Alternatively a fixed threshold. Heads whose gate is at or above
// the threshold ("retrieval heads") keep every token and append every generated one; the others
// ("streaming heads") keep sink + recent tokens (128 + 256) once the sequence is that long: they keep
// min(prompt, sink + recent) after prefill and grow at the mean rate that reaches
// min(prompt + output, sink + recent) after the last decode step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/budget/budget_source.h"
#include "sim/scenario/json_reader.h"

namespace kvsim {

struct DuoAttentionParams {
  std::vector<double> gates;  // [layer * kv_heads + head] in [0, 1]
  bool use_threshold = false; // false: `sparsity` picks the threshold; true: `threshold` is it
  double sparsity = 0.5;
  double threshold = 0.5;
  int sink = 128;
  int recent = 256;
  std::string gates_label;    // for describe()
};

// numpy.quantile(values, q) with the default linear interpolation.
double linear_quantile(std::vector<double> values, double q);

class DuoAttentionSource final : public BudgetSource {
 public:
  DuoAttentionSource(const ModelSpec& model, DuoAttentionParams params, std::uint64_t seed);
  std::string_view name() const override { return "duoattention"; }
  void budgets(const RequestShape& request, HeadBudgets& out) const override;
  std::string describe() const override;
  // Share of heads that are streaming heads (DuoAttention reports this as the achieved sparsity).
  double achieved_sparsity() const { return achieved_sparsity_; }
  bool is_full_head(int layer, int head) const { return full_[static_cast<std::size_t>(layer) * kv_heads_ + head]; }

 private:
  int layers_, kv_heads_;
  DuoAttentionParams params_;
  std::vector<char> full_;
  double threshold_used_ = 0;
  double achieved_sparsity_ = 0;
};

// {"kind": "duoattention", "gates": "<TSV file>" (required), "sparsity": 0.5 (or "threshold": x, not
//  both), "sink": 128, "recent": 256, "group_reduce": "max" | "mean" (for a file with q-head columns)}
std::unique_ptr<BudgetSource> parse_duoattention_source(const JsonReader& policy, const ModelSpec& model,
                                                        std::uint64_t seed, const std::filesystem::path& base_dir);

}  // namespace kvsim
