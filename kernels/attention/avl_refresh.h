// A-VL refresh step (every K decode steps): the step's attention runs densely over the whole
// segment (DecodeParams with lse), then
//   AvlImageScoresParams: score of each secondary image token = the last query's softmax
//     probability for it, averaged over all q heads of the layer (uses that attention's lse); two
//     passes: per (token, kv head) partial sums spread over the grid, then their sum in a fixed order
//     (workspace_bytes: the partials);
//   AvlSelectCoreParams: the new core = top num_core of those scores per request (top-k kernel),
//     written ascending into core_idx, ready for the next AvlSparseParams steps.
// Reference: kernels/reference/attention_ref.h (avl_image_scores_ref), topk_ref.h.
// Test: tests/kernels/test_avl_gpu.cpp.
#pragma once

#include "kernels/attention/avl_types.h"
#include "kernels/common/support.h"
#include "kernels/kv_cache/kv_cache.h"

#include <cuda_runtime.h>

#include <cstddef>

namespace kvsim::kernels {

struct AvlImageScoresParams {
  const __nv_bfloat16* q = nullptr;      // [num_requests][num_q_heads][head_dim]
  KvCacheView cache;
  const AvlRequest* requests = nullptr;  // device [num_requests]
  const float* lse = nullptr;            // [num_requests][num_q_heads], from the dense attention
  int group_size = 1;
  float scale = 0.0f;                    // 0 means 1/sqrt(head_dim)
  int max_secondary = 0;                 // host bound on num_secondary (sizes the grid)
  float* scores = nullptr;               // [num_requests][score_stride]
  int score_stride = 0;
  // Optional, for a runtime that keeps queries in its activation rows and pads head slots:
  // request b's query is row q_row[b] of q (q_row_stride elements apart; 0: packed); q_row[b] < 0
  // skips the request (its scores are not written). Kv heads at or past row_kv_heads (0: all), and
  // kv heads whose segment is shorter than prefix_len + num_secondary in `lengths` (a head copy that
  // does not serve the request), take no part: the score is the mean over the q heads that do.
  const int32_t* q_row = nullptr;        // device [num_requests]
  int64_t q_row_stride = 0;
  int row_kv_heads = 0;
  const int32_t* lengths = nullptr;      // device [num_requests * num_kv_heads]: live rows per segment
};

struct AvlSelectCoreParams {
  const float* scores = nullptr;         // as written by AvlImageScoresParams
  int score_stride = 0;
  int num_requests = 0;
  const AvlRequest* requests = nullptr;  // num_secondary, num_core and core_offset are used
  int32_t* core_idx = nullptr;           // receives each request's new core, ascending
};

Support supported(const AvlImageScoresParams& p);
std::size_t workspace_bytes(const AvlImageScoresParams& p);
void run(const AvlImageScoresParams& p, void* workspace, cudaStream_t stream);

Support supported(const AvlSelectCoreParams& p);
std::size_t workspace_bytes(const AvlSelectCoreParams& p);  // row descriptors for the top-k
void run(const AvlSelectCoreParams& p, void* workspace, cudaStream_t stream);

}  // namespace kvsim::kernels
