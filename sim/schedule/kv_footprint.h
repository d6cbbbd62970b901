// KvFootprint: where one request's KV lives, per (layer, GPU), given its per-head budgets and the
// placement (which copy of each head serves it). Computed once per request when it is considered for
// admission, in O(layers x kv heads); the running totals of the scheduler are then updated per
// (layer, GPU), never per head.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/budget/budget_source.h"
#include "sim/model/model_spec.h"
#include "sim/placement/placement.h"

namespace kvsim {

struct KvFootprint {
  std::vector<double> kept;          // [layer * gpus + gpu]: tokens after prefill (compressed)
  std::vector<double> growth;        // [layer * gpus + gpu]: tokens appended per decode step
  std::vector<std::uint16_t> heads;  // [layer * gpus + gpu]: kv heads serving this request there
  std::vector<std::int64_t> heads_per_gpu;       // [gpu]: sum over layers of heads
  std::vector<std::int64_t> decode_peak_bytes;   // [gpu]: KV at the last decode step
  std::vector<std::int64_t> prefill_peak_bytes;  // [gpu]: uncompressed prompt KV (held during chunked prefill)
};

// Fills `out` (vectors are resized, capacity reused). `request_index` selects the head copies.
void compute_footprint(const ModelSpec& model, int gpus, const Placement& placement, const HeadBudgets& budgets,
                       std::int64_t request_index, int prompt_tokens, int output_tokens, KvFootprint& out);

}  // namespace kvsim
