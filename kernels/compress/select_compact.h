// Prefill-end compaction into the per-head cache: for each (request, kv head), keep the top
// budgets[seg] prefix tokens by pooled window score (ties to the lower position) plus the whole
// observation window, in prompt order, and copy their K and V rows from the prefill's varlen
// layout into the segment (rows [0, kept)); the segment's length becomes kept. A segment whose
// capacity is too small is left untouched and sets *overflow.
//
// Reference: kernels/reference/compress_ref.h (select_tokens_ref). Test: tests/kernels/test_compress_gpu.cpp.
#pragma once

#include "kernels/common/support.h"
#include "kernels/compress/compress_types.h"
#include "kernels/kv_cache/kv_cache.h"

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace kvsim::kernels {

struct CompressParams {
  const float* scores = nullptr;        // pooled window scores (compress_types.h layout)
  const int32_t* budgets = nullptr;     // device [num_requests * num_kv_heads], prefix tokens to keep
  const __nv_bfloat16* k = nullptr;     // prefill K, [total_tokens][num_kv_heads][head_dim]
  const __nv_bfloat16* v = nullptr;     // prefill V, same layout
  const int32_t* cu_seqlens = nullptr;  // device [num_requests + 1]
  int window = 32;
  int64_t total_tokens = 0;             // host copy of cu_seqlens[num_requests]
  int max_seq_len = 0;                  // host bound on n_b (sizes the grid)
  KvCacheView cache;                    // num_requests, num_kv_heads, head_dim come from here
  int32_t* overflow = nullptr;          // device flag, may be null
};

Support supported(const CompressParams& p);
std::size_t workspace_bytes(const CompressParams& p);
void run(const CompressParams& p, void* workspace, cudaStream_t stream);

}  // namespace kvsim::kernels
