// AdaKV's per-head budget allocation on the GPU (arXiv 2407.11550, as DESIGN.md states it): per
// request and layer, every kv head keeps floor(alpha * budget) tokens, and the layer-wide top
// num_kv_heads * (budget - floor) prefix scores decide the rest: head h's budget is the floor plus
// how many of those it holds (at most its prefix length). The layer's total is num_kv_heads * budget
// whenever the prefixes are long enough. Budgets count prefix tokens; the window is kept on top.
//
// Reference: kernels/reference/compress_ref.h (adakv_budgets_ref). Test: tests/kernels/test_compress_gpu.cpp.
#pragma once

#include "kernels/common/support.h"
#include "kernels/compress/compress_types.h"

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace kvsim::kernels {

struct AdakvBudgetParams {
  const float* scores = nullptr;        // pooled window scores (compress_types.h layout)
  const int32_t* cu_seqlens = nullptr;  // device [num_requests + 1]
  int num_requests = 0;
  int num_kv_heads = 0;
  int window = 32;
  int64_t total_tokens = 0;             // host copy of cu_seqlens[num_requests]
  int32_t budget = 0;                   // mean tokens per head kept from the prefix
  float alpha = 0.2f;                   // AdaKV's floor share (0.2 with GQA)
  int32_t* budgets = nullptr;           // out, device [num_requests * num_kv_heads]
};

Support supported(const AdakvBudgetParams& p);
std::size_t workspace_bytes(const AdakvBudgetParams& p);
void run(const AdakvBudgetParams& p, void* workspace, cudaStream_t stream);

}  // namespace kvsim::kernels
