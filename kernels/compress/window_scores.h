// Prefill-end token scores (SnapKV/AdaKV): the last `window` queries attend causally over the
// prompt; per q head the softmax probabilities are averaged over the window, the q heads of a GQA
// group reduced (mean or max), then max-pooled along the tokens (kernel `pool_kernel`, same-size
// output, like max_pool1d with padding kernel/2). Output layout in compress_types.h.
// Four launches: per-chunk (max, sum) of each query row, their merge into log-sum-exp, the
// probability sums per key, the pooling.
//
// Reference: kernels/reference/compress_ref.h (window_scores_ref). Test: tests/kernels/test_compress_gpu.cpp.
#pragma once

#include "kernels/common/support.h"
#include "kernels/compress/compress_types.h"

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace kvsim::kernels {

struct WindowScoresParams {
  const __nv_bfloat16* q_window = nullptr;  // [num_requests][window][num_q_heads][head_dim]
  const __nv_bfloat16* k = nullptr;         // [total_tokens][num_kv_heads][head_dim]
  const int32_t* cu_seqlens = nullptr;      // device [num_requests + 1]
  int num_requests = 0;
  int num_kv_heads = 0;
  int group_size = 1;
  int head_dim = 128;
  int window = 32;                          // 1..64
  int64_t total_tokens = 0;                 // host copy of cu_seqlens[num_requests]
  int max_seq_len = 0;                      // host bound on n_b (sizes the grid)
  int pool_kernel = 7;                      // odd
  GqaReduce reduce = GqaReduce::Mean;
  float scale = 0.0f;                       // 0 means 1/sqrt(head_dim)
  float* scores = nullptr;                  // [num_kv_heads * total_tokens]
};

Support supported(const WindowScoresParams& p);
std::size_t workspace_bytes(const WindowScoresParams& p);
void run(const WindowScoresParams& p, void* workspace, cudaStream_t stream);

// Prompt keys (summed over requests and kv heads) that one wave of run()'s two scoring passes
// covers on the current device: CTAs resident at once (occupancy x SMs) x keys per CTA. The passes
// run in whole waves of one latency each, so their time steps with ceil(keys / wave_keys)
// (calibration/attention records it for the cost model).
int64_t wave_keys(const WindowScoresParams& p);

}  // namespace kvsim::kernels
