// See fastv_policy.h.
#include "sim/policy/fastv_policy.h"

#include <algorithm>

namespace kvsim {

void FastVPolicy::footprint(const Request& request, PolicyFootprint& out) const {
  out.stored.resize(layers_, kv_heads_);
  const int others = request.prompt_tokens - request.image_tokens;
  for (int l = 0; l < layers_; ++l) {
    const auto first = out.stored.kept.begin() + static_cast<std::ptrdiff_t>(l) * kv_heads_;
    std::fill(first, first + kv_heads_, others + filter_.image_tokens_in(l, request.image_tokens));
  }
  std::fill(out.stored.growth.begin(), out.stored.growth.end(), 1.0f);
  out.computed.clear();
  out.computed_growth.clear();
  out.refresh_extra.clear();
  filter_.fill_prefill_share(request, layers_, out.prefill_share);
}

std::unique_ptr<AttentionPolicy> parse_fastv_policy(const JsonReader& r, const ModelSpec& model) {
  r.reject_unknown_keys({"kind", "after_layer", "keep"});
  const PrefillFilter filter = parse_prefill_filter(r, model, {.after_layer = std::min(2, model.layers), .keep = 0.5});
  return std::make_unique<FastVPolicy>(model, filter);
}

}  // namespace kvsim
