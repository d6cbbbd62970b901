// See streaming_policy.h.
#include "sim/policy/streaming_policy.h"

#include <algorithm>

#include "sim/policy/token_rules.h"

namespace kvsim {

void StreamingPolicy::footprint(const Request& request, PolicyFootprint& out) const {
  auto tokens_after = [&](int seq) { return policy_rules::streaming_tokens(sink_, window_, seq); };
  const int steps = policy_rules::decode_steps(request.output_tokens);
  const int start = tokens_after(request.prompt_tokens);
  out.stored.resize(layers_, kv_heads_);
  std::fill(out.stored.kept.begin(), out.stored.kept.end(), start);
  std::fill(out.stored.growth.begin(), out.stored.growth.end(),
            static_cast<float>(policy_rules::linear_growth(tokens_after, request.prompt_tokens, steps,
                                                           start < sink_ + window_ ? 1.0 : 0.0)));
  out.computed.clear();
  out.computed_growth.clear();
  out.refresh_extra.clear();
  out.prefill_share.clear();
}

std::unique_ptr<AttentionPolicy> parse_streaming_policy(const JsonReader& r, const ModelSpec& model) {
  r.reject_unknown_keys({"kind", "sink", "window"});
  const int sink = static_cast<int>(r.integer_or("sink", 4, 0, 10'000'000));
  const int window = static_cast<int>(r.integer("window", 1, 100'000'000));
  return std::make_unique<StreamingPolicy>(model, sink, window);
}

}  // namespace kvsim
