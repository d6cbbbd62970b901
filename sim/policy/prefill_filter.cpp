// See prefill_filter.h.
#include "sim/policy/prefill_filter.h"

#include <cstdio>

#include "sim/policy/token_rules.h"

namespace kvsim {

int PrefillFilter::image_tokens_in(int layer, int image_tokens) const {
  return applies(layer) ? policy_rules::share_floor(keep, image_tokens) : image_tokens;
}

void PrefillFilter::fill_prefill_share(const Request& request, int layers, std::vector<float>& out) const {
  out.clear();
  const int dropped = request.image_tokens - policy_rules::share_floor(keep, request.image_tokens);
  if (!active() || dropped == 0 || after_layer >= layers || request.prompt_tokens <= 0) return;
  const float filtered = static_cast<float>(request.prompt_tokens - dropped) / static_cast<float>(request.prompt_tokens);
  out.assign(static_cast<std::size_t>(layers), 1.0f);
  for (int l = after_layer; l < layers; ++l) out[static_cast<std::size_t>(l)] = filtered;
}

std::string PrefillFilter::describe() const {
  char buf[96];
  std::snprintf(buf, sizeof buf, "image tokens kept %g after layer %d", keep, after_layer);
  return buf;
}

PrefillFilter parse_prefill_filter(const JsonReader& r, const ModelSpec& model, PrefillFilter defaults) {
  r.expect_object();  // the caller rejects unknown keys (FastV's object also has "kind")
  PrefillFilter f = defaults;
  f.after_layer = static_cast<int>(r.integer_or("after_layer", defaults.after_layer, 1, model.layers));
  f.keep = r.number_or("keep", defaults.keep, 0.0, 1.0);
  return f;
}

}  // namespace kvsim
