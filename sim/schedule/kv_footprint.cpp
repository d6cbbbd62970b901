// See kv_footprint.h.
#include "sim/schedule/kv_footprint.h"

#include <cmath>

namespace kvsim {

void compute_footprint(const ModelSpec& model, int gpus, const Placement& placement, const PolicyFootprint& policy,
                       std::int64_t request_index, int prompt_tokens, int output_tokens, KvFootprint& out) {
  const int L = model.layers, H = model.kv_heads;
  const std::size_t cells = static_cast<std::size_t>(L) * gpus;
  const HeadBudgets& budgets = policy.stored;
  const bool subset = policy.computes_subset();
  const bool refresh = !policy.refresh_extra.empty();
  out.kept.assign(cells, 0.0);
  out.growth.assign(cells, 0.0);
  if (subset) {
    out.computed.assign(cells, 0.0);
    out.computed_growth.assign(cells, 0.0);
  } else {
    out.computed.clear();
    out.computed_growth.clear();
  }
  const bool scored = refresh && !policy.image_stored.empty();
  if (refresh) out.refresh_extra.assign(cells, 0.0);
  else out.refresh_extra.clear();
  if (scored) out.refresh_scored.assign(cells, 0.0);
  else out.refresh_scored.clear();
  out.heads.assign(cells, 0);
  out.heads_per_gpu.assign(static_cast<std::size_t>(gpus), 0);
  out.prefill_rows.assign(static_cast<std::size_t>(gpus), 0.0);
  out.prefill_share.assign(policy.prefill_share.begin(), policy.prefill_share.end());
  out.decode_peak_bytes.assign(static_cast<std::size_t>(gpus), 0);
  out.prefill_peak_bytes.assign(static_cast<std::size_t>(gpus), 0);
  std::vector<double> peak_tokens(static_cast<std::size_t>(gpus), 0.0);
  const double decode_steps = output_tokens > 1 ? output_tokens - 1 : 0;
  for (int l = 0; l < L; ++l) {
    const double share = policy.prefill_share_at(l);
    for (int h = 0; h < H; ++h) {
      const std::size_t head = static_cast<std::size_t>(l) * H + h;
      const auto& copies = placement.copies[head];
      const int copy = copies.size() == 1 ? 0 : placement.copy_for_request(l, h, request_index);
      const int g = copies[static_cast<std::size_t>(copy)].gpu;
      const std::size_t cell = static_cast<std::size_t>(l) * gpus + g;
      const double kept = budgets.kept[head];
      const double growth = budgets.growth[head];
      out.kept[cell] += kept;
      out.growth[cell] += growth;
      if (subset) {
        out.computed[cell] += policy.computed[head];
        out.computed_growth[cell] += policy.computed_growth_at(head);
      }
      if (refresh) out.refresh_extra[cell] += policy.refresh_extra[head];
      if (scored) out.refresh_scored[cell] += policy.image_stored[static_cast<std::size_t>(l)];
      out.heads[cell] += 1;
      out.heads_per_gpu[static_cast<std::size_t>(g)] += 1;
      out.prefill_rows[static_cast<std::size_t>(g)] += share;
      // Memory holds whole tokens per head: the decode's growth rounds up per head (less 1e-6, so a
      // float growth whose product is an integer in exact arithmetic does not round up).
      peak_tokens[static_cast<std::size_t>(g)] += kept + std::ceil(growth * decode_steps - 1e-6);
    }
  }
  const std::int64_t row = model.kv_bytes_per_head_token();
  for (int g = 0; g < gpus; ++g) {
    const std::size_t gi = static_cast<std::size_t>(g);
    out.decode_peak_bytes[gi] = static_cast<std::int64_t>(peak_tokens[gi]) * row;
    out.prefill_peak_bytes[gi] = static_cast<std::int64_t>(std::ceil(out.prefill_rows[gi] * prompt_tokens - 1e-6)) * row;
  }
}

}  // namespace kvsim
