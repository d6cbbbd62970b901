// Append kernel: one warp per segment copies the new K and V rows with 16-byte stores.
// Reference: kernels/reference/kv_cache_ref.h (append_ref). Test: tests/kernels/test_kv_cache_gpu.cpp.
#include "kernels/kv_cache/append.h"

#include "kernels/common/cuda_check.h"

namespace kvsim::kernels {
namespace {

constexpr int kWarpsPerBlock = 4;

__global__ void append_kernel(AppendParams p) {
  const int seg = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const KvCacheView& c = p.cache;
  if (seg >= c.num_segments()) return;
  const int32_t len = c.length[seg];
  if (len >= c.capacity[seg]) {
    if (lane == 0 && p.overflow != nullptr) *p.overflow = 1;
    return;
  }
  const int chunks = c.head_dim / 8;  // 16-byte chunks per row
  const int64_t dst_row = c.offset[seg] + len;
  const uint4* src_k = reinterpret_cast<const uint4*>(p.new_k + static_cast<int64_t>(seg) * c.head_dim);
  const uint4* src_v = reinterpret_cast<const uint4*>(p.new_v + static_cast<int64_t>(seg) * c.head_dim);
  uint4* dst_k = reinterpret_cast<uint4*>(c.k + dst_row * c.head_dim);
  uint4* dst_v = reinterpret_cast<uint4*>(c.v + dst_row * c.head_dim);
  for (int i = lane; i < chunks; i += 32) {
    dst_k[i] = src_k[i];
    dst_v[i] = src_v[i];
  }
  __syncwarp();
  if (lane == 0) c.length[seg] = len + 1;  // one writer per segment
}

}  // namespace

Support supported(const AppendParams& p) {
  const KvCacheView& c = p.cache;
  if (c.k == nullptr || c.v == nullptr || c.offset == nullptr || c.capacity == nullptr || c.length == nullptr)
    return Support::no("append: cache pointers must be set");
  if (p.new_k == nullptr || p.new_v == nullptr) return Support::no("append: new_k/new_v must be set");
  if (c.head_dim <= 0 || c.head_dim % 8 != 0) return Support::no("append: head_dim must be a positive multiple of 8");
  return Support::yes();
}

std::size_t workspace_bytes(const AppendParams&) { return 0; }

void run(const AppendParams& p, void*, cudaStream_t stream) {
  const int segments = p.cache.num_segments();
  if (segments == 0) return;
  const int blocks = (segments + kWarpsPerBlock - 1) / kWarpsPerBlock;
  append_kernel<<<blocks, 32 * kWarpsPerBlock, 0, stream>>>(p);
  KVSIM_CUDA_CHECK_LAUNCH();
}

}  // namespace kvsim::kernels
