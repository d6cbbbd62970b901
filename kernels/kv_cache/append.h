// Append one decode token's K and V to every segment of a layer, in place: row length[s] of segment
// s receives the new row and length[s] grows by one. A segment already at capacity is left unchanged
// and sets *overflow to 1 (the runtime then grows the pool; the kernel never reallocates).
#pragma once

#include "kernels/common/support.h"
#include "kernels/kv_cache/kv_cache.h"

#include <cuda_runtime.h>

#include <cstddef>

namespace kvsim::kernels {

struct AppendParams {
  KvCacheView cache;
  const __nv_bfloat16* new_k = nullptr;  // [num_requests][num_kv_heads][head_dim]
  const __nv_bfloat16* new_v = nullptr;  // same shape
  int32_t* overflow = nullptr;           // device flag, may be null
};

Support supported(const AppendParams& p);
std::size_t workspace_bytes(const AppendParams& p);
void run(const AppendParams& p, void* workspace, cudaStream_t stream);

}  // namespace kvsim::kernels
