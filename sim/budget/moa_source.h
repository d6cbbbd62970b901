// MoaSource: Mixture of Sparse Attention (Fu et al., thu-nics/MoA). Each q head has a sliding-window
// span that grows with the sequence: for N tokens
//   span = min(int(alpha + beta * N), N), then at least 128, rounded up to a multiple of 64,
// and the head keeps min(span, N) tokens. A kv head keeps the max (default) or the mean (rounded up)
// of its q heads' spans. After prefill N = prompt; the growth is the mean rate that reaches the span at
// N = prompt + output after the last decode step (the true curve is a staircase of 64-token steps
// along that line, so the linear rate is exact at both ends and within 64 tokens in between for
// heads whose span has not saturated at N).
#pragma once

#include <cstdint>
#include <string>

#include "sim/budget/budget_source.h"
#include "sim/budget/head_profiles.h"
#include "sim/scenario/json_reader.h"

namespace kvsim {

// MoA's span for a sequence of `tokens` tokens, before clamping to the sequence.
std::int64_t moa_span(double alpha, double beta, std::int64_t tokens);

struct MoaParams {
  HeadGrid alphas, betas;  // [layer * heads + head], heads = the model's q heads or kv heads
  GroupReduce reduce = GroupReduce::max;
  std::string file_label;  // for describe()
};

class MoaSource final : public BudgetSource {
 public:
  MoaSource(const ModelSpec& model, MoaParams params);
  std::string_view name() const override { return "moa"; }
  void budgets(const RequestShape& request, HeadBudgets& out) const override;
  std::string describe() const override;

 private:
  int layers_, kv_heads_, group_;
  MoaParams params_;
};

// {"kind": "moa", "file": "<MoA alpha/beta JSON>" (required), "group_reduce": "max" | "mean"}
std::unique_ptr<BudgetSource> parse_moa_source(const JsonReader& policy, const ModelSpec& model,
                                               const std::filesystem::path& base_dir);

}  // namespace kvsim
