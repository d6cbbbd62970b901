// BatchScheduler: continuous batching as vLLM does it, with admission by per-GPU KV memory.
//
// Each step: every running request past its prefill decodes one token; the remaining token budget
// (max_batched_tokens) goes to prompt chunks, first of requests already prefilling, then of waiting
// requests admitted in arrival order while the running set is below max_batch_size and every GPU has
// room for the request's KV. Without chunked prefill a prompt is processed whole (alone in a step if
// it exceeds the budget). A request reserves its peak KV on each GPU at admission (the uncompressed
// prompt while a chunked prefill is in progress, the compressed cache plus every decoded token after)
// and releases it when done; one whose reservation exceeds a GPU's free KV capacity with nothing else
// running can never fit and is rejected with the reason. Waiting requests are admitted strictly in
// order (head-of-line), so a large request is not starved by smaller ones behind it.
//
// Memory and attention work are kept as running totals per (layer, GPU): a decode step adds each
// running request's growth in O(layers x GPUs), whatever the number of requests and heads.
//
// Stored versus computed tokens (sim/policy). Memory follows the tokens a request stores; decode
// attention follows the tokens it computes, which A-VL makes fewer (the core image tokens) except on
// refresh steps (all stored image tokens). When the policy computes a subset, a second pair of
// running totals holds the computed tokens and their growth. Refresh steps: a request refreshes at
// its own decode steps K, 2K, ... (K = the policy's refresh interval); since every decoding request
// decodes in every step, a request whose first decode step is global step s0 refreshes at the global
// steps s with s mod K == (s0 + K - 1) mod K, its refresh phase. The extra tokens a refresh reads
// (constant per request) are summed per phase, so step s reads
//     computed totals + growth + refresh_extra[s mod K]
// in O(layers x GPUs) still, with K extra arrays of layers x GPUs.
// Prefill: prompts dropped between layers (FastV) shrink that layer's rows and causal pairs; a
// prompt's first chunk also brings its images' tiles to the vision tower (StepPlan::vision_tiles).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "sim/policy/attention_policy.h"
#include "sim/executor/step_plan.h"
#include "sim/placement/placement.h"
#include "sim/scenario/scenario.h"
#include "sim/schedule/kv_footprint.h"
#include "sim/schedule/request_record.h"
#include "sim/workload/workload.h"

namespace kvsim {

class BatchScheduler {
 public:
  BatchScheduler(const Scenario& scenario, const Deployment& deployment, const Placement& placement,
                 const AttentionPolicy& policy, std::vector<RequestRecord>& records);

  void arrive(const Request& request);
  // Builds the next step at time `now_s`; false if there is nothing to run (idle until an arrival).
  bool plan_step(double now_s, StepPlan& plan);
  // Applies the planned step, which ended at `end_s`.
  void finish_step(double end_s);

  // Also list each step's requests in StepPlan::entries (for an executor that runs them).
  void record_entries(bool on) { record_entries_ = on; }
  // [gpu]: the sum of every admitted request's decode-peak KV (what an allocator that gives each
  // request its peak at admission has handed out in all, over the run).
  const std::vector<std::int64_t>& admitted_kv_bytes() const { return admitted_kv_bytes_; }

  bool idle() const { return running_.empty() && waiting_.empty(); }
  // Requests this scheduler holds (waiting or running): what a least-loaded router compares.
  std::size_t outstanding() const { return running_.size() + waiting_.size(); }
  const std::vector<std::int64_t>& kv_capacity_bytes() const { return capacity_bytes_; }
  const std::vector<std::int64_t>& peak_kv_bytes() const { return peak_used_bytes_; }
  std::int64_t steps() const { return steps_; }
  int peak_running() const { return peak_running_; }

 private:
  struct Running {
    Request request;
    int slot = -1;           // index into footprints_
    int prefilled = 0;       // prompt tokens processed
    int generated = 0;       // output tokens produced
    int chunk = 0;           // prompt tokens scheduled in the current step
    int vision_tiles = 0;    // image tiles the vision tower encodes with the first chunk
    int refresh_phase = -1;  // global step index mod K of this request's refresh steps (-1: none)
    std::vector<std::int64_t> reserved_bytes;  // [gpu]
  };

  bool try_admit(double now_s, int& token_budget, bool step_empty);
  void prepare_head_footprint();
  int acquire_slot();
  void release(Running& r);
  void enter_decode(Running& r);
  void leave_decode(const Running& r);

  const Scenario& scenario_;
  const Deployment& deployment_;
  const Placement& placement_;
  const AttentionPolicy& policy_;
  std::vector<RequestRecord>& records_;
  int L_, G_;
  std::int64_t row_bytes_;

  std::deque<Request> waiting_;
  std::vector<Running> running_;  // admission order
  std::vector<KvFootprint> footprints_;
  std::vector<int> free_slots_;
  int head_slot_ = -1;            // footprint of waiting_.front(), computed once
  PolicyFootprint head_policy_;

  std::vector<std::int64_t> capacity_bytes_;   // [gpu]: memory - reserve - weights
  std::vector<std::int64_t> reserved_bytes_;   // [gpu]
  std::vector<std::int64_t> peak_used_bytes_;  // [gpu]
  std::vector<std::int64_t> step_used_bytes_;  // [gpu]: scratch of finish_step
  std::vector<double> decode_tokens_;          // [cell]: KV tokens of decoding requests
  std::vector<double> decode_growth_;          // [cell]: their growth per step
  std::vector<double> gpu_decode_tokens_;      // [gpu]: decode_tokens_ summed over layers
  std::vector<double> gpu_decode_growth_;      // [gpu]: decode_growth_ summed over layers
  bool separate_compute_ = false;              // the policy computes fewer tokens than it stores
  int refresh_interval_ = 0;                   // K; 0: no refresh steps
  std::vector<double> compute_tokens_;         // [cell]: tokens decoding requests compute (separate_compute_)
  std::vector<double> compute_growth_;         // [cell]
  std::vector<std::vector<double>> refresh_extra_;  // [phase][cell]: what refresh steps read in addition
  std::vector<std::vector<double>> refresh_scored_;    // [phase][cell]: image tokens refresh steps score
  std::vector<std::vector<double>> refresh_segments_;  // [phase][cell]: segments (request x head) they are in
  std::vector<int> refresh_requests_;                  // [phase]: requests refreshing in that phase
  std::vector<double> step_decode_tokens_;     // [cell]: read by this step
  std::vector<double> step_prefill_pairs_;     // [cell]
  std::vector<double> step_prefill_layer_tokens_;  // [layer]: prompt tokens per layer (token-dropping policies)
  int decoding_ = 0;
  bool record_entries_ = false;
  std::vector<StepEntry> entries_;
  std::vector<std::int64_t> admitted_kv_bytes_;  // [gpu]
  std::int64_t steps_ = 0;
  int peak_running_ = 0;
};

}  // namespace kvsim
