// The contract between the scheduler and the executors (DESIGN.md, "The path of one run").
//  - Deployment: what never changes during a run: the model, the GPU, and what each GPU holds.
//  - StepPlan: what one iteration of continuous batching computes, reduced to the quantities that
//    decide its time: token counts and, per (layer, GPU), the attention work of the heads it holds.
//  - StepTiming: the step's time and its breakdown per GPU and per phase.
// The scheduler never knows how a time was produced; swapping the executor is how simulation
// becomes a hardware run.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/model/gpu_spec.h"
#include "sim/model/model_spec.h"

namespace kvsim {

struct Deployment {
  ModelSpec model;
  GpuSpec gpu;
  int gpus = 1;
  std::vector<int> kv_heads_held = {};       // [layer * gpus + gpu]: kv heads whose weights the GPU holds (copies too)
  // [layer * gpus + gpu]: the same heads weighted by the share of requests each copy serves. A copy
  // projects only its requests' tokens, so its GEMM rows are that share of the step's tokens while its
  // weights are read in full (Fair-Copying's data parallelism within a head).
  std::vector<double> kv_heads_served = {};
  std::vector<std::int64_t> weight_bytes = {};  // [gpu]
  // Decode attention runs A-VL's sparse kernel (the policy computes a subset of what it stores):
  // priced with OpCosts::sparse_decode_attention_s.
  bool sparse_decode = false;
  int index(int layer, int gpu) const { return layer * gpus + gpu; }
};

// One request's part in a step, for executors that run requests rather than price totals (cuda).
struct StepEntry {
  std::int64_t request_id = 0;
  int chunk_start = 0;  // prefill: prompt tokens already processed
  int chunk_len = 0;    // prefill: prompt tokens in this step's chunk; 0: the request decodes one token
  bool decode() const { return chunk_len == 0; }
};

struct StepPlan {
  int decode_requests = 0;    // requests generating one token this step
  int prefill_requests = 0;   // requests with a prompt chunk this step
  int prefill_tokens = 0;     // prompt tokens processed this step
  int prefill_completions = 0;  // prompts finished this step (each emits its first token: LM head rows)
  // [layer * gpus + gpu]: KV tokens that decode attention reads on that GPU in that layer, summed over
  // the heads (and request shares) it serves: the tokens each request's policy computes this step
  // (fewer than it stores under A-VL, all of them on its refresh steps).
  std::span<const double> decode_kv_tokens;
  // [layer * gpus + gpu]: causal query-key pairs of this step's prompt chunks, summed over the heads
  // of each request that the GPU serves. Empty when no prefill runs.
  std::span<const double> prefill_pairs;
  // [layer]: prompt tokens in that layer's hidden states this step, when a policy drops tokens between
  // layers (FastV, A-VL's prefill filter). Empty: prefill_tokens in every layer.
  std::span<const double> prefill_tokens_per_layer;
  int vision_tiles = 0;       // image tiles the vision tower encodes this step (prompts starting prefill)
  // [layer * gpus + gpu]: A-VL refresh steps' scoring of stored image tokens (after the dense
  // attention, to re-pick the core): the tokens scored and the (request, kv head) segments they are
  // in, over the requests refreshing this step. Empty when none refreshes.
  std::span<const double> refresh_scored_tokens;
  std::span<const double> refresh_segments;
  // The requests of this step in admission order; filled only when the scheduler was asked to
  // (BatchScheduler::record_entries), since pricing executors need the totals alone.
  std::span<const StepEntry> entries;
  bool want_trace = false;    // fill StepTiming::slices
  int tokens() const { return decode_requests + prefill_tokens; }
};

enum class Phase : std::uint8_t { gemm, attention, allreduce, other };
inline constexpr int kPhaseCount = 4;
inline const char* phase_name(Phase p) {
  switch (p) {
    case Phase::gemm: return "gemm";
    case Phase::attention: return "attention";
    case Phase::allreduce: return "allreduce";
    case Phase::other: return "other";
  }
  return "?";
}

// One slice of a GPU's timeline within a step, for trace.json.
struct TraceSlice {
  int gpu;
  int layer;        // -1 for the LM head
  const char* name; // "attn" (qkv + attention + o-proj), "allreduce", "mlp", "lm_head"
  double start_s;   // from the start of the step
  double duration_s;
};

struct StepTiming {
  double step_s = 0;
  std::vector<double> busy_s;                 // [gpu]: computing or communicating (not waiting at a barrier)
  std::vector<double> phase_s;                // [gpu * kPhaseCount + phase]
  std::vector<double> attention_s;            // [layer * gpus + gpu]: decode + prefill attention
  std::vector<double> decode_attention_cell_s;  // [layer * gpus + gpu]: decode attention alone
  // Decode attention on the step's critical path: sum over layers of the slowest GPU's decode
  // attention (each layer waits for it at the all-reduce).
  double decode_attention_s = 0;
  std::vector<TraceSlice> slices;             // only when the plan asks for them

  // Zeroes the per-GPU sums; the per-cell vectors are only sized (an executor writes every cell,
  // or calls clear_cells()), which keeps a step's cost free of a layers x GPUs memset.
  void reset(int layers, int gpus) {
    step_s = 0;
    decode_attention_s = 0;
    busy_s.assign(static_cast<std::size_t>(gpus), 0.0);
    phase_s.assign(static_cast<std::size_t>(gpus) * kPhaseCount, 0.0);
    attention_s.resize(static_cast<std::size_t>(layers) * gpus);
    decode_attention_cell_s.resize(static_cast<std::size_t>(layers) * gpus);
    slices.clear();
  }
  void clear_cells() {
    std::fill(attention_s.begin(), attention_s.end(), 0.0);
    std::fill(decode_attention_cell_s.begin(), decode_attention_cell_s.end(), 0.0);
  }
};

}  // namespace kvsim
