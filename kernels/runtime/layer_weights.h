// LayerWeights: the seeded random bf16 weights one GPU holds for one decoder layer, per a Placement.
// Attention: the Wq, Wk, Wv rows and the Wo columns of every kv head (with its q heads) that has a
// copy on this GPU, copies included, in ascending head order ("local heads"). MLP: this GPU's
// tensor-parallel shard of the gated MLP (ffn / gpus rows of gate and up, the same columns of down).
// Norms: replicated.
//
// Every value is a block of a seeded "full" matrix (runtime_kernels.h fill_matrix), indexed as in the
// unsharded model, so a copied head carries identical weights on each of its GPUs, and a model run on
// 1 GPU, under tensor_parallel on 2, or with fair-copying computes the same function. Layouts are
// those of kernels/gemm/gemm.h ([out][in], y = x w^T):
//   w_qkv [L*G*D + 2*L*D][hidden]: the Wq rows, then Wk, then Wv (one fused projection GEMM; its output
//         row is q | k | v), wo [hidden][L*G*D]   (L local kv heads, G group size)
//   w_gate_up [2F][hidden] (gate rows, then up rows), w_down [hidden][F]   (F = ffn / gpus)
// Scales: uniform in +-sqrt(3/fan_in) (unit-variance activations stay unit-variance), norms in
// [0.8, 1.2), embedding in [-1, 1).
// LM head (LmHeadWeights): the final RMSNorm weight (replicated) and this GPU's rows of the output
// projection [vocab][hidden], vocabulary split over the GPUs: GPU g of n holds rows
// [b(g), b(g + 1)) with b(i) = floor(i * vocab / n) rounded down to a multiple of 8, b(n) = vocab.
#pragma once

#include "kernels/common/device_buffer.h"
#include "sim/model/model_spec.h"
#include "sim/placement/placement.h"

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

namespace kvsim::runtime {

using bf16 = __nv_bfloat16;

// Seeds of the full matrices: one per (layer, matrix).
enum class WeightKind : uint64_t { q = 1, k, v, o, gate, up, down, attn_norm, mlp_norm, embedding, final_norm, lm_head };
uint64_t weight_seed(uint64_t seed, int layer, WeightKind kind);

struct LayerWeights {
  int layer = 0;
  std::vector<int> heads;  // global kv heads with a copy on this GPU, ascending
  int ffn_shard = 0;       // F
  int64_t ffn_offset = 0;  // first global ffn index of the shard
  kernels::DeviceBuffer<bf16> w_qkv, wo, w_gate_up, w_down, attn_norm, mlp_norm;

  // Allocates and fills on the current device (the caller sets it), on `stream`.
  static LayerWeights make(const ModelSpec& model, const Placement& placement, int layer, int gpu, int gpus,
                           uint64_t seed, cudaStream_t stream);
  int local_heads() const { return static_cast<int>(heads.size()); }
  // Widths of the fused projection's parts: q (local_heads * G * D) and each of k and v (local_heads * D).
  int64_t q_width(const ModelSpec& m) const { return int64_t{local_heads()} * m.group_size() * m.head_dim; }
  int64_t kv_width(const ModelSpec& m) const { return int64_t{local_heads()} * m.head_dim; }
  int64_t bytes() const;
};

struct LmHeadWeights {
  int64_t vocab_offset = 0;  // first global vocabulary row of the shard
  int64_t vocab_rows = 0;    // rows of the shard
  kernels::DeviceBuffer<bf16> norm, w;  // [hidden], [vocab_rows][hidden]

  // Allocates and fills on the current device, on `stream`.
  static LmHeadWeights make(const ModelSpec& model, int gpu, int gpus, uint64_t seed, cudaStream_t stream);
  int64_t bytes() const { return static_cast<int64_t>(norm.bytes() + w.bytes()); }
};

// The replicated embedding table [vocab][hidden] on the current device.
kernels::DeviceBuffer<bf16> make_embedding(const ModelSpec& model, uint64_t seed, cudaStream_t stream);

}  // namespace kvsim::runtime
