// AdaKvSource: AdaKV's per-input, per-layer budget allocation (Feng et al., "Ada-KV", FFY0/AdaKV;
// formula in DESIGN.md "Budget formulas"). With b = budget - window and n = prompt - window candidate
// tokens, each layer takes its top H*b token scores over all H kv heads; head h gets
//   window + floor(alpha*b) + (1 - alpha) * (its share of those H*b)
// so every layer keeps H*budget tokens in total when alpha*b is an integer (otherwise H*floor(alpha*b)
// + (1-alpha)*H*b + H*window, as in AdaKV's code). Prompts with b > n stay uncompressed. Every decode
// token is appended (growth 1). The scores come from the seeded generator in adakv_generator.h.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/budget/budget_source.h"
#include "sim/scenario/json_reader.h"

namespace kvsim {

struct AdaKvParams {
  int budget = 512;             // tokens per head on average after prefill, window included
  int window = 32;              // observation window, always kept
  double alpha = 0.2;           // floor: each head keeps at least floor(alpha * (budget - window))
  double variation = 0.3;       // sigma of the per-request lognormal noise on head weights
  double score_exponent = 1.0;  // a: head h's k-th largest token score is m_h / k^a
  std::vector<double> head_weights;  // [layer * kv_heads + head] >= 0: profile or synthetic skew
  std::string weights_label;         // for describe(): where the weights came from
};

class AdaKvSource final : public BudgetSource {
 public:
  AdaKvSource(const ModelSpec& model, AdaKvParams params, std::uint64_t seed);
  std::string_view name() const override { return "adakv"; }
  void budgets(const RequestShape& request, HeadBudgets& out) const override;
  std::string describe() const override;

 private:
  int layers_, kv_heads_;
  AdaKvParams params_;
  std::uint64_t seed_;
  std::vector<double> base_u_;       // w^(1/a), normalised to sum 1 in each layer
  std::array<double, 4096> noise_;   // exp(variation * z_i)^(1/a) for the 4096 normal quantiles z_i
};

// {"kind": "adakv", "budget": B (required), "window": 32, "alpha": 0.2,
//  "profile": "<HeadKV-format score file>" or "skew": "uniform" | "zipf-S" | "lognormal-S" (exactly one),
//  "variation": 0.3, "score_exponent": 1.0, "group_reduce": "max" | "mean" (q heads -> kv heads)}
std::unique_ptr<BudgetSource> parse_adakv_source(const JsonReader& policy, const ModelSpec& model, std::uint64_t seed,
                                                 const std::filesystem::path& base_dir);

}  // namespace kvsim
