// Decode attention over the per-head variable-length cache: validation, workspace and launch.
// The kernels are in decode_kernel.cuh. Reference: kernels/reference/attention_ref.h.
#include "kernels/attention/decode.h"

#include "kernels/attention/decode_kernel.cuh"

#include <cmath>
#include <string>

namespace kvsim::kernels {

DecodeScheduleConfig decode_schedule_config_for_device(int head_dim) {
  int device = 0;
  KVSIM_CUDA_CHECK(cudaGetDevice(&device));
  int sms = 0;
  KVSIM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  DecodeScheduleConfig cfg;
  cfg.num_sms = sms;
  cfg.ctas_per_sm = head_dim == 64 ? detail::decode_ctas_per_sm<64, detail::DenseRows>()
                                   : detail::decode_ctas_per_sm<128, detail::DenseRows>();
  cfg.granule_tokens = detail::kDecodeTileTokens;
  return cfg;
}

namespace detail {

Support check_decode_common(const __nv_bfloat16* q, const KvCacheView& c, const DecodePlan* plan, int layer,
                            int group, const __nv_bfloat16* out, const char* who) {
  const std::string w = who;
  if (c.head_dim != 64 && c.head_dim != 128) return Support::no(w + ": head_dim must be 64 or 128");
  if (group < 1 || group > kMaxGroup) return Support::no(w + ": group_size must be 1..8");
  if (q == nullptr || out == nullptr || c.k == nullptr || c.v == nullptr || c.offset == nullptr)
    return Support::no(w + ": q, out and cache pointers must be set");
  if (reinterpret_cast<uintptr_t>(c.k) % 16 != 0 || reinterpret_cast<uintptr_t>(c.v) % 16 != 0 ||
      reinterpret_cast<uintptr_t>(q) % 4 != 0)
    return Support::no(w + ": K/V pools must be 16-byte aligned and q 4-byte aligned");
  if (plan == nullptr) return Support::no(w + ": plan must be set");
  if (layer < 0 || layer >= plan->num_layers()) return Support::no(w + ": layer outside the plan");
  if (plan->num_segments() != c.num_segments())
    return Support::no(w + ": plan has " + std::to_string(plan->num_segments()) + " segments, cache " +
                       std::to_string(c.num_segments()));
  return Support::yes();
}

DecodeArgs make_decode_args(const __nv_bfloat16* q, const KvCacheView& c, const DecodePlan::Layer& layer,
                            int group, float scale, __nv_bfloat16* out, float* lse, void* workspace) {
  const float s = scale != 0.0f ? scale : 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  float* partial_o = static_cast<float*>(workspace);
  float* partial_lse = partial_o + static_cast<std::size_t>(layer.num_items) * group * c.head_dim;
  DecodeArgs a{q,         c.k,         c.v,        c.offset,        layer.items, layer.segments, out, lse,
               partial_o, partial_lse, c.num_kv_heads, group, s * kLog2e};
  a.q_row = nullptr;
  a.q_stride = int64_t{c.num_kv_heads} * group * c.head_dim;
  a.out_stride = a.q_stride;
  a.row_kv_heads = c.num_kv_heads;
  a.zero_empty = true;
  return a;
}

std::size_t decode_workspace_bytes(const DecodePlan* plan, int group, int head_dim) {
  if (plan == nullptr) return 0;
  return static_cast<std::size_t>(plan->max_items_per_layer()) * group * (head_dim + 1) * sizeof(float);
}

Support check_row_mapping(const RowMapping& m, const KvCacheView& c, const DecodePlan* plan, int layer, int group,
                          const char* who) {
  const std::string w = who;
  const int kv = c.num_kv_heads;
  if (m.row_kv_heads < 0 || m.row_kv_heads > kv)
    return Support::no(w + ": row_kv_heads must be 0..num_kv_heads (" + std::to_string(kv) + ")");
  const int row_heads = m.row_kv_heads == 0 ? kv : m.row_kv_heads;
  const int64_t packed = int64_t{row_heads} * group * c.head_dim;
  if (m.q_row_stride < 0 || (m.q_row_stride != 0 && m.q_row_stride < packed) || m.q_row_stride % 2 != 0)
    return Support::no(w + ": q_row_stride must be 0 or an even value >= row_kv_heads * group_size * head_dim (" +
                       std::to_string(packed) + ")");
  if (m.out_row_stride < 0 || (m.out_row_stride != 0 && m.out_row_stride < packed))
    return Support::no(w + ": out_row_stride must be 0 or >= row_kv_heads * group_size * head_dim (" +
                       std::to_string(packed) + ")");
  if (row_heads < kv) {  // head slots the rows do not hold must have no work (host lengths, cheap)
    const LayerSchedule& s = plan->host_schedule(layer);
    for (std::size_t seg = 0; seg < s.segments.size(); ++seg)
      if (static_cast<int>(seg % static_cast<std::size_t>(kv)) >= row_heads && s.segments[seg].count != 0)
        return Support::no(w + ": segment " + std::to_string(seg) + " has tokens but its kv head is past row_kv_heads (" +
                           std::to_string(row_heads) + ")");
  }
  return Support::yes();
}

void apply_row_mapping(DecodeArgs& a, const RowMapping& m, const KvCacheView& c, int group) {
  a.q_row = m.q_row;
  a.row_kv_heads = m.row_kv_heads != 0 ? m.row_kv_heads : c.num_kv_heads;
  const int64_t packed = int64_t{a.row_kv_heads} * group * c.head_dim;
  a.q_stride = m.q_row_stride != 0 ? m.q_row_stride : packed;
  a.out_stride = m.out_row_stride != 0 ? m.out_row_stride : packed;
  a.zero_empty = m.zero_empty;
}

}  // namespace detail

Support supported(const DecodeParams& p) {
  if (Support s = detail::check_decode_common(p.q, p.cache, p.plan, p.layer, p.group_size, p.out, "decode"); !s) return s;
  return detail::check_row_mapping({p.q_row, p.q_row_stride, p.out_row_stride, p.row_kv_heads, p.zero_empty}, p.cache,
                                   p.plan, p.layer, p.group_size, "decode");
}

std::size_t workspace_bytes(const DecodeParams& p) {
  return detail::decode_workspace_bytes(p.plan, p.group_size, p.cache.head_dim);
}

void run(const DecodeParams& p, void* workspace, cudaStream_t stream) {
  const DecodePlan::Layer layer = p.plan->layer(p.layer);
  detail::DecodeArgs a = detail::make_decode_args(p.q, p.cache, layer, p.group_size, p.scale, p.out, p.lse, workspace);
  detail::apply_row_mapping(a, {p.q_row, p.q_row_stride, p.out_row_stride, p.row_kv_heads, p.zero_empty}, p.cache,
                            p.group_size);
  // Without zeros for empty segments, the merge kernel is only needed for split segments.
  const bool merge = p.zero_empty ? layer.needs_merge : layer.has_split;
  if (!p.zero_empty && layer.num_items == 0) return;  // nothing to compute, nothing to write
  if (p.cache.head_dim == 64)
    detail::launch_decode<64>(a, detail::DenseRows{}, layer.num_items, layer.num_segments, merge, stream);
  else
    detail::launch_decode<128>(a, detail::DenseRows{}, layer.num_items, layer.num_segments, merge, stream);
}

}  // namespace kvsim::kernels
