// A-VL sparse decode attention: the split-KV kernel of decode_kernel.cuh with A-VL's row map.
#include "kernels/attention/avl_sparse.h"

#include "kernels/attention/decode_kernel.cuh"

namespace kvsim::kernels {

Support supported(const AvlSparseParams& p) {
  if (p.requests == nullptr || p.core_idx == nullptr) return Support::no("avl_sparse: requests and core_idx must be set");
  if (Support s = detail::check_decode_common(p.q, p.cache, p.plan, p.layer, p.group_size, p.out, "avl_sparse"); !s)
    return s;
  return detail::check_row_mapping({p.q_row, p.q_row_stride, p.out_row_stride, p.row_kv_heads, p.zero_empty}, p.cache,
                                   p.plan, p.layer, p.group_size, "avl_sparse");
}

std::size_t workspace_bytes(const AvlSparseParams& p) {
  return detail::decode_workspace_bytes(p.plan, p.group_size, p.cache.head_dim);
}

void run(const AvlSparseParams& p, void* workspace, cudaStream_t stream) {
  const DecodePlan::Layer layer = p.plan->layer(p.layer);
  detail::DecodeArgs a =
      detail::make_decode_args(p.q, p.cache, layer, p.group_size, p.scale, p.out, p.lse, workspace);
  detail::apply_row_mapping(a, {p.q_row, p.q_row_stride, p.out_row_stride, p.row_kv_heads, p.zero_empty}, p.cache,
                            p.group_size);
  const detail::AvlSparseRows rows{p.requests, p.core_idx};
  // As decode: without zeros for empty segments the merge runs only for split segments.
  const bool merge = p.zero_empty ? layer.needs_merge : layer.has_split;
  if (!p.zero_empty && layer.num_items == 0) return;
  if (p.cache.head_dim == 64)
    detail::launch_decode<64>(a, rows, layer.num_items, layer.num_segments, merge, stream);
  else
    detail::launch_decode<128>(a, rows, layer.num_items, layer.num_segments, merge, stream);
}

}  // namespace kvsim::kernels
