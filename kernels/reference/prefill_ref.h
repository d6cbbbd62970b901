// CPU reference (double accumulation) of causal chunked prefill attention over the per-head cache
// (kernels/attention/prefill.h): query row i of request r, at position q_start[r] + i, attends
// segment rows [0, min(q_start[r] + i + 1, length[seg])). Built into kvsim_prefill_ref from
// kernels/runtime/CMakeLists.txt. Used by tests/runtime/test_prefill_gpu.cpp.
#pragma once

#include "kernels/reference/attention_ref.h"

#include <cstdint>
#include <span>
#include <vector>

namespace kvsim::kernels::ref {

// q: [total_q][num_kv_heads * group][head_dim]; out: same shape; lse: [total_q][num_kv_heads * group].
void prefill_attention_ref(const bf16_bits* q, std::span<const int32_t> cu_q, std::span<const int32_t> q_start,
                           const CacheRef& cache, int group, double scale, std::vector<double>& out,
                           std::vector<double>& lse);

}  // namespace kvsim::kernels::ref
