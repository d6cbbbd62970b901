// A-VL sparse decode attention: the split-KV kernel of decode_kernel.cuh with A-VL's row map.
#include "kernels/attention/avl_sparse.h"

#include "kernels/attention/decode_kernel.cuh"

namespace kvsim::kernels {

Support supported(const AvlSparseParams& p) {
  if (p.requests == nullptr || p.core_idx == nullptr) return Support::no("avl_sparse: requests and core_idx must be set");
  return detail::check_decode_common(p.q, p.cache, p.plan, p.layer, p.group_size, p.out, "avl_sparse");
}

std::size_t workspace_bytes(const AvlSparseParams& p) {
  return detail::decode_workspace_bytes(p.plan, p.group_size, p.cache.head_dim);
}

void run(const AvlSparseParams& p, void* workspace, cudaStream_t stream) {
  const DecodePlan::Layer layer = p.plan->layer(p.layer);
  const detail::DecodeArgs a =
      detail::make_decode_args(p.q, p.cache, layer, p.group_size, p.scale, p.out, p.lse, workspace);
  const detail::AvlSparseRows rows{p.requests, p.core_idx};
  if (p.cache.head_dim == 64)
    detail::launch_decode<64>(a, rows, layer.num_items, layer.num_segments, stream);
  else
    detail::launch_decode<128>(a, rows, layer.num_items, layer.num_segments, stream);
}

}  // namespace kvsim::kernels
