// VisionTower: the vision tower of a vision-language model (LLaVA-1.5: CLIP ViT-L/14-336 + the
// "mlp2x_gelu" projector) at its real shapes with seeded random bf16 weights, as one GPU's part of a
// tensor-parallel group, for the runtime that owns the GPU (DecoderRuntime) to call per step. It
// computes what the simulator prices (sim/executor/vision_cost.cpp), op for op:
//   per tile n = patch_tokens + extra_tokens encoder tokens (577 for CLIP-L/336), rows = tiles * n;
//   input: seeded random bf16 rows [rows][hidden] (no patch-embedding GEMM: the simulator does not
//          price it; fill_input below, in [-1, 1))
//   per encoder layer, on each of the G GPUs:
//     norm -> QKV GEMM (rows x 3h/G x h, one fused GEMM, output row q | k | v of the local heads)
//     -> K/V rows written into a per-(tile, local head) segment pool (n rows each)
//     -> bidirectional attention inside each tile with the causal prefill kernel
//        (kernels/attention/prefill.h): every tile is a "request" whose segment holds its n rows and
//        whose q_start is n, so query row i attends rows [0, min(n + i + 1, n)) = all n rows
//     -> O GEMM (rows x h x h/G) -> all-reduce of rows x h
//     -> residual add + norm (one kernel) -> fc1 GEMM (rows x ffn/G x h) -> GELU (CLIP's quick_gelu)
//     -> fc2 GEMM (rows x h x ffn/G) -> all-reduce -> residual add (fused into the next layer's
//        first norm; a plain add after the last layer)
//   projector over the patch rows only (each tile's first extra_tokens rows, the CLS token, are
//   dropped by a row gather): GEMM (patches x projector_hidden/G x h) -> GELU (exact, erf)
//   -> GEMM (patches x llm_hidden x projector_hidden/G) -> all-reduce, into the caller's `out`.
// LayerNorm is stood in by RMSNorm (kernels/ops/ops.h, residual add fused): the same bytes read and
// written; no biases (a bias add is fused into the GEMM epilogue in practice, and the simulator
// prices none). Pre- and post-layernorm of CLIP and LLaVA's choice of the penultimate layer are left
// out: the tower runs spec.layers layers, as the simulator prices.
//
// Weights: as kernels/runtime/layer_weights.h does for the decoder, every matrix is a block of a
// seeded "full" matrix (runtime_kernels.h fill_matrix) indexed as in the unsharded model, so GPU g of
// G holds the unsharded model's slice and 1 GPU == TP over G GPUs computes the same function:
//   w_qkv [3 * L * 64][h]: rows of the full Wq, Wk, Wv [h][h] of local heads g*L .. g*L+L-1
//         (L = heads / G), Wq rows first; wo [h][L * 64]: those heads' columns of the full Wo [h][h]
//   fc1 [F][h] (rows g*F .. of the full [ffn][h]), fc2 [h][F] (columns of the full [h][ffn]), F = ffn/G
//   proj1 [P][h] (rows of [projector_hidden][h]), proj2 [llm_hidden][P] (columns), P = projector_hidden/G
//   norm1, norm2 [h]: replicated.
// Scales: uniform in +-sqrt(3 / fan_in), norms in [0.8, 1.2). Seeds: weight_seed(seed, layer, kind)
// with kinds 32 .. 41 (disjoint from the decoder's kinds 1 .. 12, so the same seed is usable for both);
// the projector is layer `spec.layers`.
//
// Streams and ordering: the constructor fills the weights on `stream` and synchronizes it. encode()
// enqueues everything on io.stream and never synchronizes; io.gemm and io.all_reduce must launch on
// io.stream too (or be ordered with it), as DecoderRuntime's gemm_run and per-GPU communicator
// streams are. `out` must not be read before io.stream reaches the end of encode. Scratch
// (scratch_bytes()) is owned by the tower and reused by every encode: a second encode on another
// stream must be ordered after the first. encode() called with more tiles than reserved grows the
// scratch (cudaMalloc/cudaFree, which synchronize the device): call reserve() up front for timed work.
// Phase marks (io.mark, optional): the interval since the caller's previous mark is charged at the
// tower's first mark (the input fill, Phase::other), so the caller should mark right before encode.
// Test: tests/runtime/test_vision_gpu.cpp (ctest -R vision).
#pragma once

#include "kernels/common/device_buffer.h"
#include "kernels/runtime/layer_weights.h"
#include "kernels/runtime/phase_timer.h"
#include "sim/model/vision_spec.h"

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace kvsim::runtime {

struct VisionStepIo {  // what one GPU's encode needs from the runtime that owns the GPU
  cudaStream_t stream = nullptr;
  // out[m][n] = in[m][k] * w[n][k]^T (the runtime's cached cuBLASLt plans)
  std::function<void(const bf16* in, const bf16* w, bf16* out, int64_t m, int64_t n, int64_t k)> gemm;
  // In-place sum over the TP GPUs; the runtime passes a no-op on 1 GPU (not called when gpus == 1,
  // so it may be empty then).
  std::function<void(bf16* data, std::size_t count)> all_reduce;
  // kernels/runtime/phase_timer.h: charges the interval since the previous mark to a phase (may be empty).
  std::function<void(Phase)> mark;
};

// One encoder layer's weights on one GPU (layouts in the file comment).
struct VisionLayerWeights {
  kernels::DeviceBuffer<bf16> w_qkv, wo, fc1, fc2, norm1, norm2;
  int64_t bytes() const;
};
struct VisionProjectorWeights {
  kernels::DeviceBuffer<bf16> w1, w2;  // [P][h], [llm_hidden][P]
  int64_t bytes() const;
};

class VisionTower {
 public:
  // This GPU's weights (GPU `gpu` of `gpus`: heads/gpus heads, ffn/gpus and projector_hidden/gpus
  // shards; norms replicated), seeded from `seed`, allocated and filled on the current device on
  // `stream`. Throws std::invalid_argument for shapes it cannot run (heads, ffn or projector_hidden not
  // divisible by gpus; head_dim not 64 or 128; widths not multiples of 8).
  VisionTower(const VisionSpec& spec, int llm_hidden, int gpu, int gpus, uint64_t seed, cudaStream_t stream);
  VisionTower(const VisionTower&) = delete;
  VisionTower& operator=(const VisionTower&) = delete;
  VisionTower(VisionTower&&) = default;
  VisionTower& operator=(VisionTower&&) = default;

  // Scratch for up to max_tiles tiles (grow-only; encode also grows it). Synchronizes `stream`.
  void reserve(int max_tiles, cudaStream_t stream);
  // Encodes `tiles` tiles of seeded random input (input_seed) and writes the projector output
  // [tiles * patch_tokens][llm_hidden] (already all-reduced) into `out` (device, on this GPU). Marks
  // phases: GEMMs -> Phase::gemm, attention -> Phase::attention, all-reduces -> Phase::allreduce,
  // norms/GELU/K-V writes/input fill/CLS drop/residual add -> Phase::other.
  void encode(int tiles, uint64_t input_seed, bf16* out, const VisionStepIo& io);

  int64_t weight_bytes() const;
  const VisionSpec& spec() const { return spec_; }

  // Also for tests and the integrating runtime:
  int llm_hidden() const { return llm_hidden_; }
  int gpu() const { return gpu_; }
  int gpus() const { return gpus_; }
  int local_heads() const { return spec_.heads / gpus_; }
  int reserved_tiles() const { return reserved_tiles_; }
  int64_t scratch_bytes() const;                    // device bytes of the scratch now reserved
  // reserve(T) holds T * scratch_bytes_per_tile + 4 bytes (CLIP-L/336 on 1 GPU: about 14.7 MiB a tile).
  static int64_t scratch_bytes_per_tile(const VisionSpec& spec, int llm_hidden, int gpus);
  const VisionLayerWeights& layer(int l) const { return layers_.at(static_cast<std::size_t>(l)); }
  const VisionProjectorWeights& projector() const { return proj_; }
  // The encoder input encode() uses: [tiles * n][hidden], element (r, c) =
  // bf16(-1 + 2 * uniform_value(input_seed, r * hidden + c)) (the same on every GPU), into `dst`.
  static void fill_input(const VisionSpec& spec, int tiles, uint64_t input_seed, bf16* dst, cudaStream_t stream);

 private:
  VisionSpec spec_;
  int llm_hidden_ = 0, gpu_ = 0, gpus_ = 1;
  float eps_ = 1e-5f;
  std::vector<VisionLayerWeights> layers_;
  VisionProjectorWeights proj_;
  // Scratch, sized for reserved_tiles_ tiles.
  int reserved_tiles_ = 0;
  kernels::DeviceBuffer<bf16> x_, h_, qkv_, attn_, proj_out_, act_, k_pool_, v_pool_;
  // Per-tile constants (prefix-stable: the first `tiles` entries serve any tiles <= reserved):
  // segment offsets, capacities, lengths (all n), K/V destination rows, tile of each row, cu_q,
  // q_start (all n), and the patch rows' source rows for the CLS drop.
  std::vector<int64_t> host_offset_;
  std::vector<int32_t> host_capacity_, host_length_, host_dest_row_, host_row_tile_, host_cu_q_, host_q_start_,
      host_patch_src_;
  kernels::DeviceBuffer<int64_t> offset_;
  kernels::DeviceBuffer<int32_t> capacity_, length_, dest_row_, row_tile_, cu_q_, q_start_, patch_src_;
};

}  // namespace kvsim::runtime
