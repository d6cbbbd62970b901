// KvFootprint: where one request's KV lives and what its attention reads, per (layer, GPU), given
// its attention policy's per-head token counts (sim/policy) and the placement (which copy of each head
// serves it). Computed once per request when it is considered for admission, in O(layers x kv
// heads); the running totals of the scheduler are then updated per (layer, GPU), never per head.
//   kept, growth                 stored tokens (memory): after prefill, and per decode step
//   computed, computed_growth    tokens a normal decode step attends (empty: equal to kept/growth)
//   refresh_extra                tokens a refresh step attends in addition (empty: no refresh)
//   refresh_scored               image tokens a refresh step then scores to re-pick the core (A-VL:
//                                the stored image tokens of every head served; empty: no refresh)
#pragma once

#include <cstdint>
#include <vector>

#include "sim/model/model_spec.h"
#include "sim/placement/placement.h"
#include "sim/policy/attention_policy.h"

namespace kvsim {

struct KvFootprint {
  std::vector<double> kept;          // [layer * gpus + gpu]: tokens after prefill (compressed)
  std::vector<double> growth;        // [layer * gpus + gpu]: tokens appended per decode step
  std::vector<double> computed;      // [layer * gpus + gpu]: empty unless the policy computes a subset
  std::vector<double> computed_growth;
  std::vector<double> refresh_extra; // [layer * gpus + gpu]: empty unless the policy has refresh steps
  std::vector<double> refresh_scored;  // [layer * gpus + gpu]: empty unless refresh steps score image tokens
  std::vector<std::uint16_t> heads;  // [layer * gpus + gpu]: kv heads serving this request there
  std::vector<std::int64_t> heads_per_gpu;       // [gpu]: sum over layers of heads
  // [gpu]: KV rows each prompt token adds during prefill, sum over layers of heads x the share of the
  // prompt in the layer (heads_per_gpu unless a policy drops tokens between layers).
  std::vector<double> prefill_rows;
  std::vector<float> prefill_share;  // [layer]: share of the prompt in the layer; empty: all of it
  std::vector<std::int64_t> decode_peak_bytes;   // [gpu]: KV at the last decode step (per head: kept + ceil(growth x decode steps))
  std::vector<std::int64_t> prefill_peak_bytes;  // [gpu]: prompt KV held during a chunked prefill
};

// Fills `out` (vectors are resized, capacity reused). `request_index` selects the head copies.
void compute_footprint(const ModelSpec& model, int gpus, const Placement& placement, const PolicyFootprint& policy,
                       std::int64_t request_index, int prompt_tokens, int output_tokens, KvFootprint& out);

}  // namespace kvsim
