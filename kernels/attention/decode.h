// Decode attention over the per-head variable-length KV cache (kernels/kv_cache/kv_cache.h):
// one query token per request, GQA with group_size (1..8) q heads per kv head, head_dim 64 or 128,
// bf16 in, fp32 accumulation, bf16 out. Split-KV over the DecodePlan's chunks, then a log-sum-exp
// merge. q head h of request r uses kv head h / group_size; an empty segment yields zeros.
//
// Reference: kernels/reference/attention_ref.h (decode_attention_ref).
// Test: tests/kernels/test_decode_gpu.cpp. Benchmark: calibration/kernels/bench_kernels.cu.
#pragma once

#include "kernels/attention/decode_plan.h"
#include "kernels/common/support.h"
#include "kernels/kv_cache/kv_cache.h"

#include <cuda_runtime.h>

#include <cstddef>

namespace kvsim::kernels {

struct DecodeParams {
  const __nv_bfloat16* q = nullptr;  // [num_requests][num_kv_heads * group_size][head_dim]
  KvCacheView cache;                 // attention covers rows [0, plan length) of each segment
  const DecodePlan* plan = nullptr;  // lengths of this layer = the rows attended per segment
  int layer = 0;
  int group_size = 1;                // q heads per kv head
  float scale = 0.0f;                // softmax scale; 0 means 1/sqrt(head_dim)
  __nv_bfloat16* out = nullptr;      // [num_requests][num_q_heads][head_dim]
  float* lse = nullptr;              // optional [num_requests][num_q_heads]: log-sum-exp of the
                                     // scaled scores (natural log), -inf for an empty segment
};

Support supported(const DecodeParams& p);
std::size_t workspace_bytes(const DecodeParams& p);
void run(const DecodeParams& p, void* workspace, cudaStream_t stream);

}  // namespace kvsim::kernels
