// H2OPolicy: H2O (Zhang et al., NeurIPS 2023) over the whole sequence, as A-VL's code runs it as a
// baseline (all_use_h2o): after each step a head keeps floor(heavy * S) heavy hitters (by
// accumulated attention) and floor(recent * S) most recent of the S tokens so far. Defaults
// 12.5% + 37.5% (A-VL's int(S * 0.5 * 0.25) and int(S * 0.5 * 0.75)). The same count for every
// layer and head; stored tokens are computed; growth is the mean rate (token_rules.h).
#pragma once

#include "sim/policy/attention_policy.h"
#include "sim/scenario/json_reader.h"

namespace kvsim {

class H2OPolicy final : public AttentionPolicy {
 public:
  H2OPolicy(const ModelSpec& model, double heavy, double recent)
      : layers_(model.layers), kv_heads_(model.kv_heads), heavy_(heavy), recent_(recent) {}
  std::string_view name() const override { return "h2o"; }
  void footprint(const Request& request, PolicyFootprint& out) const override;
  std::string describe() const override;

 private:
  int layers_, kv_heads_;
  double heavy_, recent_;
};

std::unique_ptr<AttentionPolicy> parse_h2o_policy(const JsonReader& r, const ModelSpec& model);

}  // namespace kvsim
