// Small bf16 elementwise kernels of a decoder layer, one Params struct per launch:
//   RMSNorm      y[m][h] = x[m][h] / sqrt(mean_h(x^2) + eps) * w[h]
//   RoPE         in place on q [m][q_heads][d] and k [m][kv_heads][d], rotate-half (LLaMA/NeoX):
//                pair (i, i + d/2) rotated by pos[m] * theta^(-2i/d)
//   SiLU*mul     out[m][f] = silu(gu[m][i]) * gu[m][f + i]   (gate and up projections concatenated)
//   residual add x[i] += y[i]
//   fill         x[i] = uniform in [-1, 1) from a hash of (seed, i): random benchmark inputs
// fp32 arithmetic inside; 16-byte loads where the row length allows (h, f multiples of 8).
// CPU references: kernels/ops/ops_reference.h. Benchmark: calibration/ops/bench_ops.cpp.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/common/support.h"

namespace kvsim::kernels {

struct RmsNormParams {
  const __nv_bfloat16* x = nullptr;   // [rows][hidden]
  const __nv_bfloat16* weight = nullptr;  // [hidden]
  __nv_bfloat16* y = nullptr;         // [rows][hidden], may alias x
  int64_t rows = 0;
  int hidden = 0;                     // multiple of 8
  float eps = 1e-5f;
  // Optional residual add fused in front: s = x + residual is written to `sum` (may alias x) and
  // y = rmsnorm(s). Both set or both null.
  const __nv_bfloat16* residual = nullptr;  // [rows][hidden]
  __nv_bfloat16* sum = nullptr;             // [rows][hidden]
};
Support supported(const RmsNormParams& p);
void run(const RmsNormParams& p, cudaStream_t stream);

struct RopeParams {
  __nv_bfloat16* q = nullptr;         // [tokens][q_heads][head_dim]
  __nv_bfloat16* k = nullptr;         // [tokens][kv_heads][head_dim]
  const int32_t* positions = nullptr; // [tokens]
  int64_t tokens = 0;
  int q_heads = 0;
  int kv_heads = 0;
  int head_dim = 0;                   // even, at most 256
  float theta = 500000.0f;            // LLaMA-3's rope_theta
  // Elements between consecutive tokens' rows of q and of k (0: packed, q_heads * head_dim and
  // kv_heads * head_dim), e.g. for q and k inside one fused QKV projection output.
  int64_t q_stride = 0, k_stride = 0;
};
Support supported(const RopeParams& p);
void run(const RopeParams& p, cudaStream_t stream);

struct SiluMulParams {
  const __nv_bfloat16* gate_up = nullptr;  // [rows][2 * width]
  __nv_bfloat16* out = nullptr;            // [rows][width]
  int64_t rows = 0;
  int width = 0;                           // multiple of 8
};
Support supported(const SiluMulParams& p);
void run(const SiluMulParams& p, cudaStream_t stream);

struct AddParams {
  __nv_bfloat16* x = nullptr;         // [count], x += y
  const __nv_bfloat16* y = nullptr;   // [count]
  int64_t count = 0;                  // multiple of 8
};
Support supported(const AddParams& p);
void run(const AddParams& p, cudaStream_t stream);

void fill_uniform(__nv_bfloat16* x, int64_t count, uint64_t seed, cudaStream_t stream);

}  // namespace kvsim::kernels
