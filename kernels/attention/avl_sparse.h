// A-VL sparse decode attention (arXiv 2409.14846): per layer, each q head attends over its
// segment's always-kept prefix, only the core subset of the secondary image tokens (an index list
// per request, shared by the layer's heads) and all text tokens kept in the segment
// (layout in kernels/attention/avl_types.h). Same split-KV kernel as decode.h, reading rows through
// the index list, so its time scales with prefix + core + text, not with the secondary tokens.
//
// The plan's lengths for this layer must be avl_sparse_tokens(request, segment length). A request
// whose prefix_len covers its whole segment (e.g. INT32_MAX with num_secondary = num_core = 0) is
// attended densely: that is how one launch serves both sparse requests and refreshing ones.
// Reference: kernels/reference/attention_ref.h (avl_sparse_attention_ref).
// Test: tests/kernels/test_avl_gpu.cpp. Benchmark: calibration/kernels/bench_kernels.cu.
#pragma once

#include "kernels/attention/avl_types.h"
#include "kernels/attention/decode_plan.h"
#include "kernels/common/support.h"
#include "kernels/kv_cache/kv_cache.h"

#include <cuda_runtime.h>

#include <cstddef>

namespace kvsim::kernels {

struct AvlSparseParams {
  const __nv_bfloat16* q = nullptr;         // [num_requests][num_q_heads][head_dim]
  KvCacheView cache;
  const AvlRequest* requests = nullptr;     // device [num_requests]
  const int32_t* core_idx = nullptr;        // device, indices into the secondary range, ascending
  const DecodePlan* plan = nullptr;
  int layer = 0;
  int group_size = 1;
  float scale = 0.0f;                       // 0 means 1/sqrt(head_dim)
  __nv_bfloat16* out = nullptr;             // [num_requests][num_q_heads][head_dim]
  float* lse = nullptr;                     // optional, as in DecodeParams
  // Optional row mapping, exactly as DecodeParams' (decode.h): q and out as strided rows of a larger
  // activation buffer, requests with q_row < 0 skipped, head slots past row_kv_heads untouched.
  const int32_t* q_row = nullptr;
  int64_t q_row_stride = 0;
  int64_t out_row_stride = 0;
  int row_kv_heads = 0;
  bool zero_empty = true;
};

Support supported(const AvlSparseParams& p);
std::size_t workspace_bytes(const AvlSparseParams& p);
void run(const AvlSparseParams& p, void* workspace, cudaStream_t stream);

}  // namespace kvsim::kernels
