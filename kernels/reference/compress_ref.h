// CPU references of prefill-end compression (kernels/compress/*.h): window scores (double
// accumulation), AdaKV budget allocation and per-head token selection. Layouts: compress_types.h.
#pragma once

#include "kernels/compress/compress_types.h"
#include "kernels/reference/bf16.h"

#include <cstdint>
#include <span>
#include <vector>

namespace kvsim::kernels::ref {

struct PrefillRef {
  const bf16_bits* q_window = nullptr;  // [num_requests][window][num_q_heads][head_dim]
  const bf16_bits* k = nullptr;         // [total_tokens][num_kv_heads][head_dim]
  std::span<const int32_t> cu_seqlens;  // [num_requests + 1]
  int num_kv_heads = 0;
  int group_size = 1;
  int head_dim = 0;
  int window = 0;
};

// Pooled scores, [num_kv_heads * total_tokens], window positions -inf.
std::vector<double> window_scores_ref(const PrefillRef& p, double scale, GqaReduce reduce, int pool_kernel);

// AdaKV budgets per (request, kv head), from float scores in the compress_types.h layout.
std::vector<int32_t> adakv_budgets_ref(std::span<const float> scores, std::span<const int32_t> cu_seqlens,
                                       int num_kv_heads, int window, int32_t budget, float alpha);

// Prompt positions kept per segment, in cache order: the top budgets[seg] prefix tokens ascending,
// then the window.
std::vector<std::vector<int32_t>> select_tokens_ref(std::span<const float> scores, std::span<const int32_t> cu_seqlens,
                                                    int num_kv_heads, int window, std::span<const int32_t> budgets);

}  // namespace kvsim::kernels::ref
