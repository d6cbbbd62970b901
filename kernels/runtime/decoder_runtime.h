// DecoderRuntime: the decoder layers of a model at their real shapes, with seeded random bf16 weights,
// executed on N local GPUs by one process (one stream, cuBLASLt handle and NCCL communicator per GPU,
// ncclCommInitAll), honouring a Placement: each GPU holds the heads the placement gives it (copies
// included; a copy attends only over the requests it serves, and contributes zeros for the others
// through the same all-reduce) and a 1/N tensor-parallel shard of every MLP.
//
// Per step, rows = the prefill chunks' tokens (requests in batch order), then one row per decode
// request. Embedding gather (random token ids from the seed), then per layer on every GPU:
//   RMSNorm -> Q, K, V GEMMs (all rows, also on a copy that serves only some requests) -> RoPE ->
//   K/V write (prefill rows into the uncompressed staging pool, decode rows appended in place to the
//   compressed cache) -> prefill attention (kernels/attention/prefill.h) and, at prefill end,
//   compression into the cache keeping the last `kept` tokens of each head (kept from HeadBudgets;
//   not AdaKV's score-based selection) -> decode attention (one DecodePlan per GPU per step, shared
//   by all layers) -> O GEMM -> all-reduce -> residual -> RMSNorm -> gate/up GEMM -> SiLU*mul ->
//   down GEMM -> all-reduce -> residual.
// No final norm, no LM head. Phase times per GPU per step from CUDA events (phase_timer.h); KV bytes
// per GPU equal predicted_kv_bytes (kv_state.h). `layers_run` < model.layers runs the first
// layers_run layers only; layer_scale() = model.layers / layers_run is the factor a caller applies
// to per-step layer times (and KV bytes) to stand for the whole model.
//
// The batch is static: admit() allocates every request's KV at its peak at once (no free list yet).
// Test: tests/runtime/test_runtime_gpu.cpp (ctest -R runtime).
#pragma once

#include "kernels/runtime/kv_state.h"
#include "kernels/runtime/layer_weights.h"
#include "kernels/runtime/phase_timer.h"
#include "sim/model/model_spec.h"
#include "sim/placement/placement.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kvsim::kernels {
class LocalComm;
}

namespace kvsim::runtime {

struct RuntimeConfig {
  ModelSpec model;
  Placement placement;      // placement.gpus GPUs, devices 0 .. gpus-1
  int layers_run = 0;       // 0: all layers
  uint64_t seed = 1;
  float rms_eps = 1e-5f;
  float rope_theta = 500000.0f;
};

struct StepRequest {
  int index = 0;            // into the admitted batch
  bool decode = false;      // false: a prefill chunk
  int chunk_start = 0;      // prefill: first prompt position of the chunk (= tokens already prefilled)
  int chunk_len = 0;        // prefill: tokens in the chunk
};

struct RuntimeStep {
  std::vector<StepRequest> requests;
};

struct GpuStepTiming {
  std::array<double, static_cast<std::size_t>(Phase::count)> phase_s{};
  double total_s = 0;
};

struct StepResult {
  int rows = 0;
  int prefill_rows = 0;
  std::vector<GpuStepTiming> gpus;
  double wall_s = 0;
};

class DecoderRuntime {
 public:
  explicit DecoderRuntime(RuntimeConfig config);
  ~DecoderRuntime();
  DecoderRuntime(const DecoderRuntime&) = delete;
  DecoderRuntime& operator=(const DecoderRuntime&) = delete;

  void admit(std::vector<RuntimeRequest> batch);
  StepResult run_step(const RuntimeStep& step);

  int gpus() const { return static_cast<int>(gpu_.size()); }
  int layers_run() const { return layers_run_; }
  double layer_scale() const { return static_cast<double>(cfg_.model.layers) / layers_run_; }
  int64_t kv_bytes(int gpu) const;
  int64_t staging_bytes(int gpu) const;
  int64_t weight_bytes(int gpu) const;
  const LayerWeights& weights(int gpu, int layer) const;
  std::vector<uint16_t> embedding(int gpu) const;   // bf16 bits [vocab][hidden]
  // After run_step: the output hidden states [rows][hidden] (bf16 bits) of `gpu`, and the step's
  // token ids and positions per row.
  std::vector<uint16_t> hidden(int gpu) const;
  const std::vector<int32_t>& last_ids() const { return ids_; }
  const std::vector<int32_t>& last_positions() const { return positions_; }
  // One line: model, layers run and scale, placement, GPUs, weights and KV bytes per GPU.
  std::string describe() const;

 private:
  struct Gpu;
  void layer_attention(Gpu& g, int layer);
  void layer_mlp(Gpu& g, int layer);
  void all_reduce_proj();

  RuntimeConfig cfg_;
  int layers_run_ = 0;
  std::unique_ptr<kernels::LocalComm> comm_;
  std::vector<std::unique_ptr<Gpu>> gpu_;
  std::vector<RuntimeRequest> batch_;
  std::vector<int> prefilled_, decoded_;  // per batch request
  std::vector<int32_t> ids_, positions_;
  int64_t step_count_ = 0;
  // Per step, shared by all GPUs.
  int rows_ = 0, prefill_rows_ = 0, decode_rows_ = 0;
};

}  // namespace kvsim::runtime
