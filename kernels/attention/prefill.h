// Causal prefill attention over the per-head segment layout of kernels/kv_cache/kv_cache.h, for a
// chunk of new queries after p cached tokens (chunked prefill): bf16 in, fp32 accumulation, bf16 out,
// GQA (q head h uses kv head h / group_size), head_dim 64 or 128, variable lengths per request.
//
// The chunk's own K/V rows must already be in the cache (the runtime writes them first), so segment
// (r, kv head g) holds positions 0 .. length-1 at rows 0 .. length-1 (an uncompressed prefill
// segment). Query row i of request r sits at position q_start[r] + i and attends rows
// [0, min(q_start[r] + i + 1, length[seg])). A segment with length 0 (a head copy that does not serve
// this request) yields zeros and lse -inf.
//
// Kernel: CUDA cores, one warp per (query row, q head); lanes score 32 keys at a time, online softmax
// in base 2, each lane owns head_dim/32 output dims. Not tensor cores yet (mma.sync is the next step).
// Reference: kernels/reference/prefill_ref.h. Test: tests/runtime/test_prefill_gpu.cpp
// (ctest -R prefill).
#pragma once

#include "kernels/common/support.h"
#include "kernels/kv_cache/kv_cache.h"

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace kvsim::kernels {

struct PrefillParams {
  const __nv_bfloat16* q = nullptr;   // [total_q][num_kv_heads * group_size][head_dim]
  const int32_t* cu_q = nullptr;      // device [num_requests + 1]: request r owns rows [cu_q[r], cu_q[r+1])
  const int32_t* q_start = nullptr;   // device [num_requests]: position of each request's first query row
  int64_t total_q = 0;                // host copy of cu_q[num_requests]
  KvCacheView cache;                  // num_requests, num_kv_heads, head_dim; offset and length read
  int group_size = 1;
  float scale = 0.0f;                 // 0 means 1/sqrt(head_dim)
  __nv_bfloat16* out = nullptr;       // [total_q][num_q_heads][head_dim]
  float* lse = nullptr;               // optional [total_q][num_q_heads], natural log
  int64_t q_stride = 0;               // elements between query rows (0: num_q_heads * head_dim), e.g. fused QKV
};

Support supported(const PrefillParams& p);
std::size_t workspace_bytes(const PrefillParams& p);
void run(const PrefillParams& p, void* workspace, cudaStream_t stream);

}  // namespace kvsim::kernels
