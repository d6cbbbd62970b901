// See kv_state.h.
#include "kernels/runtime/kv_state.h"

#include <algorithm>
#include <cmath>

namespace kvsim::runtime {

int32_t peak_tokens(const RuntimeRequest& r, int layer, int head) {
  const std::size_t i = static_cast<std::size_t>(layer) * r.budgets.kv_heads + head;
  // The first output token comes from the prefill; each of the output_tokens - 1 decode steps then
  // appends its input token (the last token generated is never written), as the simulator counts.
  const int decode_steps = std::max(r.output_tokens - 1, 0);
  // Rounded up per head, less 1e-6 (as the simulator's kv_footprint.cpp): a float growth whose product
  // is an integer in exact arithmetic does not round up.
  return r.budgets.kept[i] + static_cast<int32_t>(std::ceil(static_cast<double>(r.budgets.growth[i]) * decode_steps - 1e-6));
}

void KvPool::build(const std::vector<int32_t>& capacities, int requests, int heads_per_request, int head_dim) {
  heads = heads_per_request;
  table = kernels::SegmentTable::build(capacities, 0, 1);  // exact: bytes match the prediction
  length.assign(capacities.size(), 0);
  k.resize(static_cast<std::size_t>(table.pool_rows) * head_dim);
  v.resize(static_cast<std::size_t>(table.pool_rows) * head_dim);
  offset.upload(std::span<const int64_t>(table.offset));
  capacity.upload(std::span<const int32_t>(table.capacity));
  device_length.upload(std::span<const int32_t>(length));
  (void)requests;
}

kernels::KvCacheView KvPool::view(int requests, int head_dim) {
  return {k.data(), v.data(), offset.data(), capacity.data(), device_length.data(), requests, heads, head_dim};
}

void GpuKvState::build(const ModelSpec& m, const Placement& placement, const std::vector<RuntimeRequest>& requests,
                       int gpu_index, const std::vector<std::vector<int>>& layer_heads) {
  gpu = gpu_index;
  heads = layer_heads;
  h_max = 0;
  for (const auto& h : heads) h_max = std::max(h_max, static_cast<int>(h.size()));
  const int B = static_cast<int>(requests.size());
  cache.resize(heads.size());
  stage.resize(heads.size());
  for (std::size_t l = 0; l < heads.size(); ++l) {
    const int L = static_cast<int>(heads[l].size());
    std::vector<int32_t> cap(static_cast<std::size_t>(B) * h_max, 0), stage_cap(static_cast<std::size_t>(B) * L, 0);
    for (int r = 0; r < B; ++r)
      for (int i = 0; i < L; ++i) {
        const int h = heads[l][static_cast<std::size_t>(i)];
        const RuntimeRequest& q = requests[static_cast<std::size_t>(r)];
        if (placement.gpu_for_request(static_cast<int>(l), h, q.id) != gpu) continue;
        cap[static_cast<std::size_t>(r) * h_max + i] = peak_tokens(q, static_cast<int>(l), h);
        stage_cap[static_cast<std::size_t>(r) * L + i] = q.prompt_tokens;
      }
    cache[l].build(cap, B, h_max, m.head_dim);
    stage[l].build(stage_cap, B, L, m.head_dim);
  }
  avl = false;
  core_stride = max_secondary = 0;
  for (const RuntimeRequest& r : requests)
    for (std::size_t l = 0; l < r.image_stored.size() && l < heads.size(); ++l) {
      avl = true;
      core_stride = std::max(core_stride, r.image_computed[l]);
      max_secondary = std::max(max_secondary, r.image_stored[l]);
    }
  if (!avl) {
    avl_core = {};
    return;
  }
  core_stride = std::max(core_stride, 1);
  std::vector<int32_t> core(heads.size() * static_cast<std::size_t>(B) * core_stride, 0);
  for (std::size_t l = 0; l < heads.size(); ++l)
    for (int r = 0; r < B; ++r) {
      const RuntimeRequest& q = requests[static_cast<std::size_t>(r)];
      if (q.image_computed.empty()) continue;
      int32_t* list = core.data() + (l * B + static_cast<std::size_t>(r)) * core_stride;
      for (int32_t i = 0; i < q.image_computed[l]; ++i) list[i] = i;
    }
  avl_core.upload(std::span<const int32_t>(core));
}

int64_t GpuKvState::kv_bytes() const {
  int64_t b = 0;
  for (const KvPool& p : cache) b += p.bytes();
  return b;
}

int64_t GpuKvState::staging_bytes() const {
  int64_t b = 0;
  for (const KvPool& p : stage) b += p.bytes();
  return b;
}

int64_t predicted_kv_bytes(const ModelSpec& m, const Placement& placement, const std::vector<RuntimeRequest>& requests,
                           int gpu, int layers_run) {
  int64_t tokens = 0;
  for (int l = 0; l < layers_run; ++l)
    for (int h = 0; h < m.kv_heads; ++h)
      for (const RuntimeRequest& r : requests)
        if (placement.gpu_for_request(l, h, r.id) == gpu) tokens += peak_tokens(r, l, h);
  return tokens * m.kv_bytes_per_head_token();
}

}  // namespace kvsim::runtime
