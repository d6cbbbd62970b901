// FastVPolicy: FastV (Chen et al., "An Image is Worth 1/2 Tokens After Layer 2", ECCV 2024). After
// layer K-1 the image tokens with the least attention leave the hidden states: layers K.. store and
// compute floor(keep * I) of the I image tokens, from prefill on. Defaults K = 2, keep 0.5 (R = 50%),
// the paper's main setting. Every stored token is computed; generated tokens are all kept.
#pragma once

#include "sim/policy/attention_policy.h"
#include "sim/policy/prefill_filter.h"

namespace kvsim {

class FastVPolicy final : public AttentionPolicy {
 public:
  FastVPolicy(const ModelSpec& model, PrefillFilter filter) : layers_(model.layers), kv_heads_(model.kv_heads), filter_(filter) {}
  std::string_view name() const override { return "fastv"; }
  void footprint(const Request& request, PolicyFootprint& out) const override;
  std::string describe() const override { return "fastv: " + filter_.describe(); }

 private:
  int layers_, kv_heads_;
  PrefillFilter filter_;
};

std::unique_ptr<AttentionPolicy> parse_fastv_policy(const JsonReader& r, const ModelSpec& model);

}  // namespace kvsim
