// AvlPolicy: A-VL (arXiv 2409.14846; code 2147483647-2/A-VL, modeling_llama.py) as token counts.
// Per request with P prefix, I image and T text tokens (text after the images), in layer l:
//   image tokens present   I_l = I, or floor(filter.keep * I) in layers after the prefill filter
//   stored image ("secondary")  S_l = min(floor(vision_keep * I), I_l)      (A-VL's ATTENTION_RANK)
//   core image             C_l = min(floor(vision_compute * I), S_l)        (COMPUTE_ATTENTION_RANK)
//   text                   A-VL: min(T', max(round(text.keep * T'), min_tokens)) over the T' text
//                          tokens so far (T at prefill, T + t after decode step t), the same for
//                          every head; or the per-head budgets of text.budgets with T as prompt.
//   stored   = P + S_l + text          computed = P + C_l + text          refresh: P + S_l + text
// Both counts are the code's, which takes the shares of the original image length (not of the
// filtered one), and selects per layer with the heads' attention averaged: one count per layer.
// A request's decode steps are numbered 1, 2, ... ; steps that are multiples of refresh_interval
// attend all S_l stored image tokens and re-pick the core (A-VL: gen_token_idx % interval == 0).
// Text growth is the mean per-step rate of the budget curve (token_rules.h, linear_growth).
//
// Note on A-VL's code at refresh interval -1 (its command-line default): it then applies no core
// mask, so every decode step attends all stored image tokens. kvsim's "never" instead keeps the
// core picked at prefill, as the paper describes; vision_compute = vision_keep gives the code's
// behaviour.
#pragma once

#include <memory>

#include "sim/policy/attention_policy.h"
#include "sim/policy/prefill_filter.h"

namespace kvsim {

struct AvlParams {
  double vision_keep = 0.5;     // vision_adaptive_attention_rate 0.5 (the share evicted)
  double vision_compute = 0.3;  // vision_adaptive_attention_compute_rate 0.7 (the share skipped)
  int refresh_interval = 3;     // vision_adaptive_attention_update_interval 3; 0: never
  double text_keep = 0.6;       // text_pruning_rate 0.4
  int text_min_tokens = 20;     // text_init_cache 20
  double text_heavy_share = 0.7;  // text_h20_hh_rate_in_cache 0.7
  PrefillFilter filter;         // prefill_filter_layer 3, prefill_filter_rate 0.5 when enabled
};

class AvlPolicy final : public AttentionPolicy {
 public:
  // `text_budgets` may be null (A-VL's own text budget).
  AvlPolicy(const ModelSpec& model, AvlParams params, std::unique_ptr<BudgetSource> text_budgets);
  std::string_view name() const override { return "a_vl"; }
  void footprint(const Request& request, PolicyFootprint& out) const override;
  int refresh_interval() const override { return params_.refresh_interval; }
  bool computes_subset() const override { return params_.vision_compute < params_.vision_keep; }
  std::string describe() const override;
  const AvlParams& params() const { return params_; }

 private:
  int layers_, kv_heads_;
  AvlParams params_;
  std::unique_ptr<BudgetSource> text_budgets_;
};

// Parses the "a_vl" object (kind already checked) at `r`.
std::unique_ptr<AttentionPolicy> parse_avl_policy(const JsonReader& r, const ModelSpec& model, std::uint64_t seed,
                                                  const std::filesystem::path& base_dir);

}  // namespace kvsim
