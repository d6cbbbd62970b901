// PrefillFilter: FastV's rule, also A-VL's optional prefill filter. After layer `after_layer` - 1
// has run, all but floor(keep * I) of a request's I image tokens leave the hidden states: layers
// 0 .. after_layer-1 process and cache the whole prompt, layers after_layer .. L-1 the prompt less
// the dropped image tokens, in prefill and for the rest of the request.
//
// Chunked prefill: the real filter needs the whole prompt's attention before it can drop tokens;
// kvsim costs every chunk of a filtered layer as shrunk by the request's ratio (prompt tokens in
// that layer / prompt tokens), which is exact for a prompt prefilled in one step.
#pragma once

#include <string>
#include <vector>

#include "sim/model/model_spec.h"
#include "sim/scenario/json_reader.h"
#include "sim/workload/workload.h"

namespace kvsim {

struct PrefillFilter {
  int after_layer = 0;  // 0: no filter
  double keep = 1.0;    // share of the image tokens the later layers keep

  bool active() const { return after_layer > 0; }
  bool applies(int layer) const { return after_layer > 0 && layer >= after_layer; }
  // Image tokens in layer `layer`'s hidden states and cache.
  int image_tokens_in(int layer, int image_tokens) const;
  // [layer] prompt tokens in the layer over prompt tokens; left empty when nothing is dropped.
  void fill_prefill_share(const Request& request, int layers, std::vector<float>& out) const;
  std::string describe() const;
};

// Reads "after_layer" (k in [1, layers]) and "keep" (s in [0, 1]) of the object at `r`, defaults from
// `defaults`; the caller rejects unknown keys.
PrefillFilter parse_prefill_filter(const JsonReader& r, const ModelSpec& model, PrefillFilter defaults);

}  // namespace kvsim
