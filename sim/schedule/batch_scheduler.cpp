// See batch_scheduler.h.
#include "sim/schedule/batch_scheduler.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "sim/core/format_bytes.h"

namespace kvsim {

BatchScheduler::BatchScheduler(const Scenario& scenario, const Deployment& deployment, const Placement& placement,
                               const AttentionPolicy& policy, std::vector<RequestRecord>& records)
    : scenario_(scenario), deployment_(deployment), placement_(placement), policy_(policy), records_(records),
      L_(deployment.model.layers), G_(deployment.gpus), row_bytes_(deployment.model.kv_bytes_per_head_token()) {
  const std::size_t cells = static_cast<std::size_t>(L_) * G_;
  capacity_bytes_.resize(static_cast<std::size_t>(G_));
  for (int g = 0; g < G_; ++g)
    capacity_bytes_[static_cast<std::size_t>(g)] =
        deployment.gpu.memory_bytes - scenario.reserve_bytes() - deployment.weight_bytes[static_cast<std::size_t>(g)];
  reserved_bytes_.assign(static_cast<std::size_t>(G_), 0);
  peak_used_bytes_.assign(static_cast<std::size_t>(G_), 0);
  step_used_bytes_.assign(static_cast<std::size_t>(G_), 0);
  admitted_kv_bytes_.assign(static_cast<std::size_t>(G_), 0);
  decode_tokens_.assign(cells, 0.0);
  decode_growth_.assign(cells, 0.0);
  gpu_decode_tokens_.assign(static_cast<std::size_t>(G_), 0.0);
  gpu_decode_growth_.assign(static_cast<std::size_t>(G_), 0.0);
  step_decode_tokens_.assign(cells, 0.0);
  step_prefill_pairs_.assign(cells, 0.0);
  separate_compute_ = policy.computes_subset();
  refresh_interval_ = separate_compute_ ? policy.refresh_interval() : 0;
  if (separate_compute_) {
    compute_tokens_.assign(cells, 0.0);
    compute_growth_.assign(cells, 0.0);
  }
  refresh_extra_.assign(static_cast<std::size_t>(refresh_interval_), std::vector<double>(cells, 0.0));
  refresh_scored_.assign(static_cast<std::size_t>(refresh_interval_), std::vector<double>(cells, 0.0));
  refresh_segments_.assign(static_cast<std::size_t>(refresh_interval_), std::vector<double>(cells, 0.0));
  refresh_requests_.assign(static_cast<std::size_t>(refresh_interval_), 0);
  footprints_.reserve(static_cast<std::size_t>(scenario.scheduler.max_batch_size) + 1);
  running_.reserve(static_cast<std::size_t>(scenario.scheduler.max_batch_size));
}

void BatchScheduler::arrive(const Request& request) { waiting_.push_back(request); }

int BatchScheduler::acquire_slot() {
  if (!free_slots_.empty()) {
    const int s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  footprints_.emplace_back();
  return static_cast<int>(footprints_.size()) - 1;
}

void BatchScheduler::prepare_head_footprint() {
  if (head_slot_ >= 0) return;
  const Request& r = waiting_.front();
  head_slot_ = acquire_slot();
  policy_.footprint(r, head_policy_);
  compute_footprint(deployment_.model, G_, placement_, head_policy_, r.id, r.prompt_tokens, r.output_tokens,
                    footprints_[static_cast<std::size_t>(head_slot_)]);
}

bool BatchScheduler::try_admit(double now_s, int& token_budget, bool step_empty) {
  if (waiting_.empty() || token_budget <= 0) return false;
  if (static_cast<int>(running_.size()) >= scenario_.scheduler.max_batch_size) return false;
  prepare_head_footprint();
  const Request request = waiting_.front();
  const KvFootprint& fp = footprints_[static_cast<std::size_t>(head_slot_)];
  const bool chunked = scenario_.scheduler.chunked_prefill;
  if (!chunked && request.prompt_tokens > token_budget && !step_empty) return false;
  const bool multi_step = chunked && request.prompt_tokens > token_budget;

  std::vector<std::int64_t> need(static_cast<std::size_t>(G_));
  for (int g = 0; g < G_; ++g) {
    const std::size_t gi = static_cast<std::size_t>(g);
    need[gi] = std::max(fp.decode_peak_bytes[gi], multi_step ? fp.prefill_peak_bytes[gi] : std::int64_t{0});
  }
  for (int g = 0; g < G_; ++g) {
    const std::size_t gi = static_cast<std::size_t>(g);
    if (need[gi] > capacity_bytes_[gi]) {  // can never fit, whatever else finishes
      RequestRecord& rec = records_[static_cast<std::size_t>(request.id)];
      rec.rejected_reason = "kv_exceeds_gpu_memory: needs " + format_gib(need[gi]) + " of KV on GPU " + std::to_string(g) +
                            ", which has " + format_gib(capacity_bytes_[gi]) + " for KV";
      free_slots_.push_back(head_slot_);
      head_slot_ = -1;
      waiting_.pop_front();
      return true;  // the next waiting request may still be admitted
    }
  }
  for (int g = 0; g < G_; ++g)
    if (reserved_bytes_[static_cast<std::size_t>(g)] + need[static_cast<std::size_t>(g)] > capacity_bytes_[static_cast<std::size_t>(g)])
      return false;  // wait until running requests release memory

  Running r{.request = request, .slot = head_slot_, .reserved_bytes = need};
  if (request.images > 0 && deployment_.model.vision)
    r.vision_tiles = vision_tiles(*deployment_.model.vision, request.images, request.image_tokens);
  head_slot_ = -1;
  waiting_.pop_front();
  for (int g = 0; g < G_; ++g) reserved_bytes_[static_cast<std::size_t>(g)] += need[static_cast<std::size_t>(g)];
  r.chunk = chunked ? std::min(request.prompt_tokens, token_budget) : request.prompt_tokens;
  token_budget = std::max(0, token_budget - r.chunk);
  RequestRecord& admitted = records_[static_cast<std::size_t>(request.id)];
  admitted.admitted_s = now_s;
  admitted.kv_bytes = 0;
  for (const std::int64_t b : fp.decode_peak_bytes) admitted.kv_bytes += b;
  for (int g = 0; g < G_; ++g)
    admitted_kv_bytes_[static_cast<std::size_t>(g)] += fp.decode_peak_bytes[static_cast<std::size_t>(g)];
  running_.push_back(std::move(r));
  peak_running_ = std::max(peak_running_, static_cast<int>(running_.size()));
  return true;
}

bool BatchScheduler::plan_step(double now_s, StepPlan& plan) {
  int token_budget = scenario_.scheduler.max_batched_tokens - decoding_;
  // Requests already prefilling continue first (chunked prefill only: otherwise prompts finish in one step).
  for (Running& r : running_) {
    if (r.prefilled < r.request.prompt_tokens && token_budget > 0) {
      r.chunk = std::min(r.request.prompt_tokens - r.prefilled, token_budget);
      token_budget -= r.chunk;
    }
  }
  while (try_admit(now_s, token_budget, decoding_ == 0 && running_.empty())) {
  }
  plan = StepPlan{};
  plan.decode_requests = decoding_;
  bool any_prefill = false, any_layer_share = false;
  double whole_prompt_tokens = 0;  // prompt tokens of requests that keep their whole prompt in every layer
  for (const Running& r : running_) {
    if (r.chunk == 0) continue;
    if (!any_prefill) std::fill(step_prefill_pairs_.begin(), step_prefill_pairs_.end(), 0.0);
    any_prefill = true;
    ++plan.prefill_requests;
    plan.prefill_tokens += r.chunk;
    if (r.prefilled == 0) plan.vision_tiles += r.vision_tiles;
    if (r.prefilled + r.chunk == r.request.prompt_tokens) ++plan.prefill_completions;
    // Causal pairs of a chunk of c new queries after p cached tokens: c*p + c(c+1)/2.
    const double c = r.chunk, p = r.prefilled;
    const KvFootprint& fp = footprints_[static_cast<std::size_t>(r.slot)];
    if (fp.prefill_share.empty()) {
      const double pairs = c * p + c * (c + 1) / 2;
      for (std::size_t i = 0; i < step_prefill_pairs_.size(); ++i) step_prefill_pairs_[i] += pairs * fp.heads[i];
      whole_prompt_tokens += c;
      continue;
    }
    // A policy that drops prompt tokens between layers: layer l sees share_l of the chunk and of the cache.
    if (!any_layer_share) step_prefill_layer_tokens_.assign(static_cast<std::size_t>(L_), 0.0);
    any_layer_share = true;
    for (int l = 0; l < L_; ++l) {
      const double share = fp.prefill_share[static_cast<std::size_t>(l)];
      const double cl = c * share, pl = p * share;
      const double pairs = cl * pl + cl * (cl + 1) / 2;
      step_prefill_layer_tokens_[static_cast<std::size_t>(l)] += cl;
      for (int g = 0; g < G_; ++g) {
        const std::size_t i = static_cast<std::size_t>(l) * G_ + g;
        step_prefill_pairs_[i] += pairs * fp.heads[i];
      }
    }
  }
  if (plan.decode_requests == 0 && !any_prefill) return false;
  if (record_entries_) {
    entries_.clear();
    for (const Running& r : running_) {
      if (r.chunk > 0) entries_.push_back({.request_id = r.request.id, .chunk_start = r.prefilled, .chunk_len = r.chunk});
      else if (r.prefilled == r.request.prompt_tokens) entries_.push_back({.request_id = r.request.id});
    }
    plan.entries = entries_;
  }
  if (decoding_ > 0) {
    // The new token is read too: the totals after this step's growth.
    if (!separate_compute_) {
      for (std::size_t i = 0; i < step_decode_tokens_.size(); ++i)
        step_decode_tokens_[i] = decode_tokens_[i] + decode_growth_[i];
    } else if (refresh_interval_ == 0) {
      for (std::size_t i = 0; i < step_decode_tokens_.size(); ++i)
        step_decode_tokens_[i] = compute_tokens_[i] + compute_growth_[i];
    } else {
      const std::size_t phase = static_cast<std::size_t>(steps_ % refresh_interval_);
      const std::vector<double>& extra = refresh_extra_[phase];
      for (std::size_t i = 0; i < step_decode_tokens_.size(); ++i)
        step_decode_tokens_[i] = compute_tokens_[i] + compute_growth_[i] + extra[i];
      if (refresh_requests_[phase] > 0) {
        plan.refresh_scored_tokens = refresh_scored_[phase];
        plan.refresh_segments = refresh_segments_[phase];
      }
    }
    plan.decode_kv_tokens = step_decode_tokens_;
  }
  if (any_prefill) plan.prefill_pairs = step_prefill_pairs_;
  if (any_layer_share) {
    for (double& t : step_prefill_layer_tokens_) t += whole_prompt_tokens;
    plan.prefill_tokens_per_layer = step_prefill_layer_tokens_;
  }
  return true;
}

void BatchScheduler::enter_decode(Running& r) {
  const KvFootprint& fp = footprints_[static_cast<std::size_t>(r.slot)];
  for (std::size_t i = 0; i < decode_tokens_.size(); ++i) {
    decode_tokens_[i] += fp.kept[i];
    decode_growth_[i] += fp.growth[i];
    gpu_decode_tokens_[i % static_cast<std::size_t>(G_)] += fp.kept[i];
    gpu_decode_growth_[i % static_cast<std::size_t>(G_)] += fp.growth[i];
  }
  if (separate_compute_) {
    const bool own = !fp.computed.empty();  // a request of a subset policy may still compute all it stores
    for (std::size_t i = 0; i < compute_tokens_.size(); ++i) {
      compute_tokens_[i] += own ? fp.computed[i] : fp.kept[i];
      compute_growth_[i] += own ? fp.computed_growth[i] : fp.growth[i];
    }
  }
  if (refresh_interval_ > 0 && !fp.refresh_extra.empty()) {
    // Its first decode step is the next step, index steps_ (finish_step has counted the current one).
    r.refresh_phase = static_cast<int>((steps_ + refresh_interval_ - 1) % refresh_interval_);
    const std::size_t phase = static_cast<std::size_t>(r.refresh_phase);
    std::vector<double>& extra = refresh_extra_[phase];
    for (std::size_t i = 0; i < extra.size(); ++i) extra[i] += fp.refresh_extra[i];
    if (!fp.refresh_scored.empty()) {
      ++refresh_requests_[phase];
      for (std::size_t i = 0; i < extra.size(); ++i) {
        refresh_scored_[phase][i] += fp.refresh_scored[i];
        refresh_segments_[phase][i] += fp.heads[i];
      }
    }
  }
  ++decoding_;
  // The uncompressed prompt is gone: keep only the decode peak reserved.
  for (int g = 0; g < G_; ++g) {
    const std::size_t gi = static_cast<std::size_t>(g);
    reserved_bytes_[gi] -= r.reserved_bytes[gi] - fp.decode_peak_bytes[gi];
    r.reserved_bytes[gi] = fp.decode_peak_bytes[gi];
  }
}

void BatchScheduler::leave_decode(const Running& r) {
  const KvFootprint& fp = footprints_[static_cast<std::size_t>(r.slot)];
  const double steps = r.generated - 1;
  for (std::size_t i = 0; i < decode_tokens_.size(); ++i) {
    decode_tokens_[i] -= fp.kept[i] + fp.growth[i] * steps;
    decode_growth_[i] -= fp.growth[i];
    gpu_decode_tokens_[i % static_cast<std::size_t>(G_)] -= fp.kept[i] + fp.growth[i] * steps;
    gpu_decode_growth_[i % static_cast<std::size_t>(G_)] -= fp.growth[i];
  }
  if (separate_compute_) {
    const bool own = !fp.computed.empty();
    for (std::size_t i = 0; i < compute_tokens_.size(); ++i) {
      const double growth = own ? fp.computed_growth[i] : fp.growth[i];
      compute_tokens_[i] -= (own ? fp.computed[i] : fp.kept[i]) + growth * steps;
      compute_growth_[i] -= growth;
    }
  }
  if (r.refresh_phase >= 0) {
    const std::size_t phase = static_cast<std::size_t>(r.refresh_phase);
    std::vector<double>& extra = refresh_extra_[phase];
    for (std::size_t i = 0; i < extra.size(); ++i) extra[i] -= fp.refresh_extra[i];
    if (!fp.refresh_scored.empty()) {
      --refresh_requests_[phase];
      for (std::size_t i = 0; i < extra.size(); ++i) {
        refresh_scored_[phase][i] -= fp.refresh_scored[i];
        refresh_segments_[phase][i] -= fp.heads[i];
      }
    }
  }
  --decoding_;
}

void BatchScheduler::release(Running& r) {
  for (int g = 0; g < G_; ++g) reserved_bytes_[static_cast<std::size_t>(g)] -= r.reserved_bytes[static_cast<std::size_t>(g)];
  free_slots_.push_back(r.slot);
  r.slot = -1;
}

void BatchScheduler::finish_step(double end_s) {
  ++steps_;
  if (decoding_ > 0) {
    for (std::size_t i = 0; i < decode_tokens_.size(); ++i) decode_tokens_[i] += decode_growth_[i];
    for (int g = 0; g < G_; ++g) gpu_decode_tokens_[static_cast<std::size_t>(g)] += gpu_decode_growth_[static_cast<std::size_t>(g)];
    if (separate_compute_)
      for (std::size_t i = 0; i < compute_tokens_.size(); ++i) compute_tokens_[i] += compute_growth_[i];
  }
  bool any_done = false;
  for (Running& r : running_) {
    RequestRecord& rec = records_[static_cast<std::size_t>(r.request.id)];
    if (r.chunk == 0) {
      if (r.prefilled == r.request.prompt_tokens) ++r.generated;  // decoded one token
    } else {
      r.prefilled += r.chunk;
      r.chunk = 0;
      if (r.prefilled == r.request.prompt_tokens) {
        r.generated = 1;
        rec.first_token_s = end_s;
        enter_decode(r);
      }
    }
    if (r.generated == r.request.output_tokens) {
      rec.finish_s = end_s;
      any_done = true;
    }
  }
  // Memory at the end of the step, before finished requests free theirs: decoding requests' KV
  // (per-GPU totals kept incrementally) plus the uncompressed prompt of chunked prefills in progress.
  for (int g = 0; g < G_; ++g) {
    const std::size_t gi = static_cast<std::size_t>(g);
    step_used_bytes_[gi] = static_cast<std::int64_t>(std::llround(gpu_decode_tokens_[gi])) * row_bytes_;
  }
  for (const Running& r : running_)
    if (r.prefilled < r.request.prompt_tokens && r.prefilled > 0) {
      const KvFootprint& fp = footprints_[static_cast<std::size_t>(r.slot)];
      for (int g = 0; g < G_; ++g)
        step_used_bytes_[static_cast<std::size_t>(g)] +=
            std::llround(r.prefilled * fp.prefill_rows[static_cast<std::size_t>(g)]) * row_bytes_;
    }
  for (int g = 0; g < G_; ++g) {
    const std::size_t gi = static_cast<std::size_t>(g);
    peak_used_bytes_[gi] = std::max(peak_used_bytes_[gi], step_used_bytes_[gi]);
  }
  if (!any_done) return;
  for (Running& r : running_) {
    if (r.generated != r.request.output_tokens) continue;
    leave_decode(r);
    release(r);
  }
  std::erase_if(running_, [](const Running& r) { return r.slot < 0; });
}

}  // namespace kvsim
