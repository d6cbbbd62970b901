// Shared definitions of prefill-end compression (plain C++, used by kernels and CPU references).
//
// Layouts. The prefill produces K and V "varlen": [total_tokens][num_kv_heads][head_dim] bf16, with
// request b owning tokens [cu_seqlens[b], cu_seqlens[b+1]) (n_b of them). The observation window is
// the last w_b = min(window, n_b) tokens; its queries arrive as q_window [B][window][num_q_heads][D]
// (row i is prompt position n_b - window + i; rows before position 0 are ignored). The prefix
// [0, n_b - w_b) is scored and compressed; the window is always kept.
// Scores are float, request b / kv head h / token j at [num_kv_heads * cu_seqlens[b] + h * n_b + j];
// window positions hold -inf.
#pragma once

#include "kernels/common/host_device.h"

#include <cstdint>

namespace kvsim::kernels {

// How the q heads of a GQA group are reduced to one score per kv head (AdaKV: mean or max).
enum class GqaReduce : int32_t { Mean = 0, Max = 1 };

KVSIM_HOST_DEVICE inline int64_t score_index(int64_t num_kv_heads, int64_t cu_begin, int64_t n, int64_t head, int64_t token) {
  return num_kv_heads * cu_begin + head * n + token;
}

// AdaKV floor: every head keeps at least floor(alpha * budget) tokens; the layer-wide top
// num_kv_heads * (budget - floor) scores decide the rest.
KVSIM_HOST_DEVICE inline int32_t adakv_floor(int32_t budget, float alpha) {
  return static_cast<int32_t>(static_cast<double>(alpha) * budget);
}

}  // namespace kvsim::kernels
