// See h2o_policy.h.
#include "sim/policy/h2o_policy.h"

#include <algorithm>
#include <cstdio>

#include "sim/policy/token_rules.h"

namespace kvsim {

void H2OPolicy::footprint(const Request& request, PolicyFootprint& out) const {
  auto tokens_after = [&](int seq) { return policy_rules::h2o_tokens(heavy_, recent_, seq); };
  const int steps = policy_rules::decode_steps(request.output_tokens);
  out.stored.resize(layers_, kv_heads_);
  std::fill(out.stored.kept.begin(), out.stored.kept.end(), tokens_after(request.prompt_tokens));
  std::fill(out.stored.growth.begin(), out.stored.growth.end(),
            static_cast<float>(policy_rules::linear_growth(tokens_after, request.prompt_tokens, steps, heavy_ + recent_)));
  out.computed.clear();
  out.computed_growth.clear();
  out.refresh_extra.clear();
  out.prefill_share.clear();
}

std::string H2OPolicy::describe() const {
  char buf[96];
  std::snprintf(buf, sizeof buf, "h2o: heavy %g + recent %g of the sequence", heavy_, recent_);
  return buf;
}

std::unique_ptr<AttentionPolicy> parse_h2o_policy(const JsonReader& r, const ModelSpec& model) {
  r.reject_unknown_keys({"kind", "heavy", "recent"});
  const double heavy = r.number_or("heavy", 0.125, 0.0, 1.0);
  const double recent = r.number_or("recent", 0.375, 0.0, 1.0);
  if (heavy + recent > 1.0 + 1e-12)
    r.fail("recent", "a share at most 1 - heavy (" + nlohmann::json(1.0 - heavy).dump() + ")",
           JsonReader::describe(r.json()["recent"]));
  return std::make_unique<H2OPolicy>(model, heavy, recent);
}

}  // namespace kvsim
