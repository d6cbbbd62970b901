// Decode attention over the per-head variable-length KV cache (kernels/kv_cache/kv_cache.h):
// one query token per request, GQA with group_size (1..8) q heads per kv head, head_dim 64 or 128,
// bf16 in, fp32 accumulation, bf16 out. Split-KV over the DecodePlan's chunks, then a log-sum-exp
// merge. q head h of request r uses kv head h / group_size; an empty segment yields zeros.
// q and out may be rows of a larger strided buffer in any order (q_row, q_row_stride, ...).
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

  // Optional row mapping, so q and out can be rows of a larger activation buffer (e.g. the decode
  // rows of a mixed prefill/decode step) without gather/scatter copies. Defaults: today's packing.
  // Request b's query is read from q + q_row[b] * q_row_stride + (kv_head * group_size + g) *
  // head_dim and its output written at out + q_row[b] * out_row_stride + (same head offset).
  // q_row[b] < 0: request b is skipped, nothing of it is read or written (neither q, out nor lse;
  // its CTAs exit at once, so give it plan lengths 0 to launch none). The caller guarantees every
  // q_row[b] >= 0 is a valid row of both q and out, and that no two requests share a row of out.
  // lse keeps its [num_requests][num_kv_heads * group_size] layout, indexed by b (not q_row).
  const int32_t* q_row = nullptr;    // device [num_requests]; null: request b is row b
  int64_t q_row_stride = 0;          // elements between rows of q; 0: row_kv_heads * group_size *
                                     // head_dim (packed). Must be even (q is read as 4-byte pairs)
  int64_t out_row_stride = 0;        // elements between rows of out; 0: packed, as for q
  // kv heads held by each row of q and out (<= cache.num_kv_heads); 0: cache.num_kv_heads. Kv
  // heads at or past it (head slots a row does not hold, e.g. the runtime's h_max padding) are never
  // read or written, even when empty; their plan lengths must be 0 (supported() checks it).
  int row_kv_heads = 0;
  // false: segments of length 0 are left untouched (no zeros in out, no -inf in lse), and when no
  // segment of the layer is split the merge kernel is not launched at all (DecodePlan::Layer::
  // has_split). For callers that never read outputs of empty segments. true: today's zeros.
  bool zero_empty = true;
};

Support supported(const DecodeParams& p);
std::size_t workspace_bytes(const DecodeParams& p);
void run(const DecodeParams& p, void* workspace, cudaStream_t stream);

}  // namespace kvsim::kernels
