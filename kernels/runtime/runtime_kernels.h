// Small CUDA kernels the decoder runtime needs around the real kernels (one Params struct each):
//   fill_matrix  dst[r][dst_col0 + c] = lo + (hi - lo) * u(seed, r * src_ld + src_col0 + c): a block of
//                a seeded random "full" matrix, so a head's or an MLP shard's weights are the same
//                numbers on every GPU that holds them and in every placement (1 GPU == TP == copies).
//   copy_rows    dst[dst_idx[i]][0..width) = src[src_idx[i]][0..width) (embedding gather, decode rows
//                to and from the batch-indexed layout the decode kernel reads).
//   write_kv     K/V rows of new tokens into cache segments at host-computed rows (-1 = skip).
//   copy_blocks  row blocks between pools (prefill-end compression: keep the last `kept` rows).
// Host-side helper: uniform_value reproduces fill_matrix's numbers on the CPU (tests).
#pragma once

#include "kernels/kv_cache/kv_cache.h"

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace kvsim::runtime {

// splitmix64 of (seed, index) -> [0, 1) with 24 bits.
__host__ __device__ inline float uniform_value(uint64_t seed, uint64_t index) {
  uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (1.0f / 16777216.0f);
}

struct FillMatrixParams {
  __nv_bfloat16* dst = nullptr;
  int64_t rows = 0, cols = 0;
  int64_t dst_ld = 0, dst_col0 = 0;
  int64_t src_ld = 0, src_col0 = 0;
  uint64_t seed = 0;
  float lo = -1.0f, hi = 1.0f;
};
void fill_matrix(const FillMatrixParams& p, cudaStream_t stream);

struct CopyRowsParams {
  const __nv_bfloat16* src = nullptr;
  __nv_bfloat16* dst = nullptr;
  const int32_t* src_idx = nullptr;  // null: i
  const int32_t* dst_idx = nullptr;  // null: i
  int64_t n = 0;
  int64_t src_stride = 0, dst_stride = 0, width = 0;  // elements; width multiple of 8
};
void copy_rows(const CopyRowsParams& p, cudaStream_t stream);

struct WriteKvParams {
  const __nv_bfloat16* k = nullptr;   // [rows][src_heads][head_dim]
  const __nv_bfloat16* v = nullptr;
  const int32_t* row_request = nullptr;  // [rows] request index in the batch
  const int32_t* dest_row = nullptr;     // [rows][src_heads] row inside the segment, -1 skips
  int64_t rows = 0;
  int src_heads = 0;
  kernels::KvCacheView cache;            // segment = request * cache.num_kv_heads + head
  int64_t src_stride = 0;                // elements between rows of k and of v (0: src_heads * head_dim)
};
void write_kv(const WriteKvParams& p, cudaStream_t stream);

struct RowBlock {
  int64_t src_row = 0, dst_row = 0;  // absolute pool rows
  int32_t count = 0;
};
struct CopyBlocksParams {
  const __nv_bfloat16* src_k = nullptr;
  const __nv_bfloat16* src_v = nullptr;
  __nv_bfloat16* dst_k = nullptr;
  __nv_bfloat16* dst_v = nullptr;
  const RowBlock* blocks = nullptr;  // device
  int num_blocks = 0;
  int max_count = 0;                 // host bound on blocks[i].count (sizes the grid)
  int head_dim = 0;
};
void copy_blocks(const CopyBlocksParams& p, cudaStream_t stream);

// gelu: y[i] = gelu(x[i]) elementwise (y may alias x), fp32 inside, for the vision tower
// (vision_tower.h). Exact (erf) GELU, torch.nn.GELU() as LLaVA's projector has it; or with
// `quick`, CLIP's quick_gelu x * sigmoid(1.702 x) (openai/clip-vit-large-patch14-336 hidden_act).
// 16-byte loads when count is a multiple of 8 and the pointers are 16-byte aligned.
struct GeluParams {
  const __nv_bfloat16* x = nullptr;
  __nv_bfloat16* y = nullptr;
  int64_t count = 0;
  bool quick = false;
};
void gelu(const GeluParams& p, cudaStream_t stream);

}  // namespace kvsim::runtime
