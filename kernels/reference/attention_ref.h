// CPU references (double accumulation) of the attention kernels: decode over the per-head cache
// (kernels/attention/decode.h), A-VL sparse attention and the A-VL refresh scores
// (kernels/attention/avl_sparse.h, avl_refresh.h). Shared by tests/kernels and calibration/kernels.
#pragma once

#include "kernels/attention/avl_types.h"
#include "kernels/reference/bf16.h"

#include <cstdint>
#include <span>
#include <vector>

namespace kvsim::kernels::ref {

// One layer's cache on the host: segment s = request * num_kv_heads + kv_head owns pool rows
// [offset[s], offset[s] + length[s]).
struct CacheRef {
  const bf16_bits* k = nullptr;
  const bf16_bits* v = nullptr;
  std::span<const int64_t> offset;
  std::span<const int32_t> length;
  int num_requests = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
};

// Softmax attention of one query over K/V rows `rows` (pool row indices). Writes out[head_dim] and
// returns the natural log-sum-exp of the scaled scores (-inf and zeros when rows is empty).
double attend_ref(const bf16_bits* q, const bf16_bits* k, const bf16_bits* v, std::span<const int64_t> rows,
                  int head_dim, double scale, double* out);

// out: [num_requests][num_kv_heads * group][head_dim]; lse: [num_requests][num_kv_heads * group].
void decode_attention_ref(const bf16_bits* q, const CacheRef& cache, int group, double scale,
                          std::vector<double>& out, std::vector<double>& lse);

// As decode, but each segment's rows are prefix, core (through core_idx) and text (avl_types.h).
void avl_sparse_attention_ref(const bf16_bits* q, const CacheRef& cache, int group, double scale,
                              std::span<const AvlRequest> requests, std::span<const int32_t> core_idx,
                              std::vector<double>& out, std::vector<double>& lse);

// Refresh scores: per request, for each secondary image token, the full-attention softmax
// probability averaged over all q heads. scores: [num_requests][score_stride].
void avl_image_scores_ref(const bf16_bits* q, const CacheRef& cache, int group, double scale,
                          std::span<const AvlRequest> requests, int score_stride, std::vector<double>& scores);

}  // namespace kvsim::kernels::ref
