// See kv_footprint.h.
#include "sim/schedule/kv_footprint.h"

#include <cmath>

namespace kvsim {

void compute_footprint(const ModelSpec& model, int gpus, const Placement& placement, const HeadBudgets& budgets,
                       std::int64_t request_index, int prompt_tokens, int output_tokens, KvFootprint& out) {
  const int L = model.layers, H = model.kv_heads;
  const std::size_t cells = static_cast<std::size_t>(L) * gpus;
  out.kept.assign(cells, 0.0);
  out.growth.assign(cells, 0.0);
  out.heads.assign(cells, 0);
  out.heads_per_gpu.assign(static_cast<std::size_t>(gpus), 0);
  out.decode_peak_bytes.assign(static_cast<std::size_t>(gpus), 0);
  out.prefill_peak_bytes.assign(static_cast<std::size_t>(gpus), 0);
  std::vector<double> peak_tokens(static_cast<std::size_t>(gpus), 0.0);
  const double decode_steps = output_tokens > 1 ? output_tokens - 1 : 0;
  for (int l = 0; l < L; ++l) {
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
      out.heads[cell] += 1;
      out.heads_per_gpu[static_cast<std::size_t>(g)] += 1;
      peak_tokens[static_cast<std::size_t>(g)] += kept + growth * decode_steps;
    }
  }
  const std::int64_t row = model.kv_bytes_per_head_token();
  for (int g = 0; g < gpus; ++g) {
    const std::size_t gi = static_cast<std::size_t>(g);
    out.decode_peak_bytes[gi] = static_cast<std::int64_t>(std::ceil(peak_tokens[gi])) * row;
    out.prefill_peak_bytes[gi] = out.heads_per_gpu[gi] * prompt_tokens * row;
  }
}

}  // namespace kvsim
