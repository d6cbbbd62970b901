// Batched top-k selection by radix select: for each row, the indices of its k largest scores, in
// ascending index order (ties at the threshold go to the lowest indices, so the result is a
// deterministic function of the scores). Used by A-VL's core refresh, per-head token selection at
// prefill end and AdaKV's layer-wide budget allocation. One CTA per row, four 8-bit passes over the
// row's order-preserving integer keys, then an ordered compaction; rows may be 1M scores long. Rows
// of at most 1024 scores take a one-pass rank selection from shared memory instead (same result).
//
// Reference: kernels/reference/topk_ref.h. Test: tests/kernels/test_topk_gpu.cpp.
#pragma once

#include "kernels/common/support.h"

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace kvsim::kernels {

struct TopkParams {
  const float* scores = nullptr;       // device; row r is scores[row_begin[r] .. + row_len[r])
  int num_rows = 0;
  const int64_t* row_begin = nullptr;  // device [num_rows]
  const int32_t* row_len = nullptr;    // device [num_rows]
  const int32_t* row_k = nullptr;      // device [num_rows]; clamped to [0, row_len]
  int32_t* out_idx = nullptr;          // device; row r writes min(k, len) indices (relative to the
  const int64_t* out_begin = nullptr;  // row start) at out_idx[out_begin[r] ..]
};

Support supported(const TopkParams& p);
std::size_t workspace_bytes(const TopkParams& p);
void run(const TopkParams& p, void* workspace, cudaStream_t stream);

}  // namespace kvsim::kernels
