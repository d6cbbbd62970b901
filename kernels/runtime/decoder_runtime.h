// DecoderRuntime: the decoder layers of a model at their real shapes, with seeded random bf16 weights,
// executed on GPUs honouring a Placement: each GPU holds the heads the placement gives it (copies
// included; a copy attends only over the requests it serves, and contributes zeros for the others
// through the same all-reduce), a 1/N tensor-parallel shard of every MLP and a 1/N vocabulary shard
// of the LM head. Two ways to run:
//   single process   this process drives every GPU of the placement (devices 0 .. gpus-1 or
//                    RuntimeConfig::devices; NCCL communicators from ncclCommInitAll)
//   one rank each    RuntimeConfig::distributed: this process drives only placement GPU `rank` on
//                    CUDA device `device`; the communicator comes from ncclCommInitRank with an
//                    ncclUniqueId that rank 0 made and shared (runtime_mpi.h does it with MPI), e.g.
//                    under mpirun with one rank per GPU, which is how the same command runs across nodes.
// "Local GPUs" are the GPUs this process drives: gpus() of them, indexed 0 .. gpus()-1 in every
// per-GPU accessor and in StepResult::gpus; gpu_rank(i) is local GPU i's index in the placement.
// Each local GPU has its own persistent host thread (worker_pool.h): per step it uploads its inputs
// and launches its whole layer loop, calling its all-reduces on its own communicator, so no GPU waits
// for the host launching another GPU's work. A failure on a worker (CUDA, cuBLASLt or NCCL error,
// with file:line and the library's error string) is rethrown by run_step; the communicators are then
// aborted and the runtime refuses further steps.
//
// Per step, rows = the prefill chunks' tokens (requests in batch order), then one row per decode
// request. Embedding gather (random token ids from the seed), then per layer on every GPU:
//   (previous layer's residual +) RMSNorm -> one fused QKV GEMM (all rows, also on a copy that serves
//   only some requests; output rows q | k | v) -> RoPE in place -> K/V write (prefill rows into the
//   uncompressed staging pool, decode rows appended in place to the compressed cache) -> prefill
//   attention (kernels/attention/prefill.h) and, at prefill end, compression into the cache keeping
//   `kept` tokens of each head (kept from HeadBudgets, rows chosen by position, not by AdaKV's or
//   A-VL's scores: segment_layout.h) -> decode attention reading its queries from the QKV rows and
//   writing into the attention rows in place (one DecodePlan per GPU per step, shared by all layers;
//   with A-VL requests the sparse kernel over prefix, core and text, dense on a request's refresh
//   steps, which then score its image tokens and re-pick the core) -> O GEMM -> all-reduce ->
//   residual + RMSNorm (one kernel) -> gate/up GEMM -> SiLU*mul -> down GEMM -> all-reduce; that
//   residual is added by the next layer's first RMSNorm (by a plain add after the last layer).
// Vision-language models: in a step where prompts start their prefill, their image tiles first go
// through the vision tower (vision_tower.h, tensor-parallel like the layers, counted once per step
// like the embedding) and its output rows replace the embeddings of the image tokens in the chunk.
// Then the LM head, as the simulator's step model has it (sim/executor/tp_step_composer.cpp): one row
// per request that emits a token this step (each decode, and each prefill chunk that ends its
// prompt: its last row), final RMSNorm (Phase::other, with the row gather) and a GEMM against this
// GPU's vocabulary shard (Phase::gemm); no gather of logits across GPUs.
// Phase times per GPU per step from CUDA events (phase_timer.h); KV bytes per GPU equal
// predicted_kv_bytes (kv_state.h). `layers_run` < model.layers runs the first layers_run layers only;
// layer_scale() = model.layers / layers_run is the factor a caller applies to per-step layer times
// (and KV bytes) to stand for the whole model; GpuStepTiming::once_s is the part not to scale.
// warm_up() runs throw-away steps on a scratch batch before timing, so that the first timed steps do
// not pay lazy module loading, cuBLASLt plan creation or scratch allocation.
//
// The batch is static: admit() allocates every request's KV at its peak at once (no free list yet).
// Tests: tests/runtime/test_runtime_gpu.cpp (ctest -R runtime), tests/runtime/test_runtime_mpi.cpp.
#pragma once

#include "kernels/runtime/kv_state.h"
#include "kernels/runtime/layer_weights.h"
#include "kernels/runtime/phase_timer.h"
#include "kernels/runtime/worker_pool.h"
#include "sim/model/model_spec.h"
#include "sim/placement/placement.h"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nccl.h>
#include <vector>

namespace kvsim::kernels {
class LocalComm;
}

namespace kvsim::runtime {

// This process's part in a multi-process run: one placement GPU.
struct DistributedRank {
  ncclUniqueId nccl_id{};   // made by rank 0 (kernels::LocalComm::unique_id()), the same in every rank
  int rank = 0;             // the placement GPU this process drives, 0 .. placement.gpus-1
  int device = 0;           // its local CUDA device
};

struct RuntimeConfig {
  ModelSpec model;
  Placement placement;      // placement.gpus GPUs
  int layers_run = 0;       // 0: all layers
  uint64_t seed = 1;
  float rms_eps = 1e-5f;
  float rope_theta = 500000.0f;
  std::vector<int> devices = {};  // single process: CUDA device of each placement GPU; empty: 0 .. gpus-1
  std::optional<DistributedRank> distributed = std::nullopt;  // set: this process drives one placement GPU only
  // Per-phase CUDA events on every Nth step (from the first); the other steps record only their start
  // and end, since an event between two kernels costs GPU time of its own. 1: every step.
  int phase_every = 1;
  // A-VL requests (RuntimeRequest::image_stored): a request's decode steps K, 2K, ... attend every
  // stored token and re-pick the core (K = this); 0: never.
  int avl_refresh_interval = 0;
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
  std::array<double, static_cast<std::size_t>(Phase::count)> phase_s{};  // the whole step
  // The part of phase_s that runs once per step, not once per layer (embedding gather, LM head): a
  // caller standing for the whole model takes (phase_s - once_s) * layer_scale() + once_s.
  std::array<double, static_cast<std::size_t>(Phase::count)> once_s{};
  double total_s = 0;
  bool phases = true;  // false: a step timed by its start and end only (phase_s and once_s are 0)
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
  // Before timed steps (before or after admit): loads every kernel the steps use and creates the
  // GEMM plans for row counts 1, 4, 16, ... and max_rows (the most rows a timed step will have), and
  // for every decode batch of 1 .. max_decode_batch requests (a batch shrinks one by one as requests
  // finish; each size is a new GEMM shape whose first use would load kernels inside a timed step),
  // by running steps of a scratch batch (prefills of those many rows in requests of at most 512
  // tokens, decodes, all-reduces, LM head). KV state, admitted batch and the
  // token ids of later steps are as before; hidden() and logits() are not valid until the next step.
  void warm_up(int max_rows, int max_decode_batch = 1);

  const ModelSpec& model() const { return cfg_.model; }
  int gpus() const { return static_cast<int>(gpu_.size()); }  // local GPUs
  int world_gpus() const { return cfg_.placement.gpus; }
  int gpu_rank(int gpu) const;                                 // placement GPU of local GPU `gpu`
  int device(int gpu) const;                                   // CUDA device of local GPU `gpu`
  int layers_run() const { return layers_run_; }
  double layer_scale() const { return static_cast<double>(cfg_.model.layers) / layers_run_; }
  int64_t kv_bytes(int gpu) const;
  int64_t staging_bytes(int gpu) const;
  int64_t weight_bytes(int gpu) const;
  const LayerWeights& weights(int gpu, int layer) const;
  const LmHeadWeights& lm_head(int gpu) const;
  std::vector<uint16_t> embedding(int gpu) const;   // bf16 bits [vocab][hidden]
  // After run_step: the output hidden states [rows][hidden] (bf16 bits) of `gpu`, and the step's
  // token ids and positions per row.
  std::vector<uint16_t> hidden(int gpu) const;
  const std::vector<int32_t>& last_ids() const { return ids_; }
  const std::vector<int32_t>& last_positions() const { return positions_; }
  // After run_step: the LM head's rows (indices into the step's rows: prefill chunks that end their
  // prompt, then decodes, in row order) and `gpu`'s logits [lm rows][lm_head(gpu).vocab_rows].
  const std::vector<int32_t>& last_lm_rows() const { return lm_rows_; }
  std::vector<uint16_t> logits(int gpu) const;
  // A-VL: request `request`'s current core in `layer` on `gpu` (indices into its stored image tokens,
  // image_computed[layer] of them), as the next sparse step reads it. Synchronizes the device.
  std::vector<int32_t> avl_core(int gpu, int layer, int request) const;
  // One line: model, layers run and scale, placement, GPUs, weights and KV bytes per GPU.
  std::string describe() const;

 private:
  struct Gpu;
  struct StepPlan;
  StepPlan plan_step(const RuntimeStep& step);
  void prepare(Gpu& g, const StepPlan& plan);
  void launch(Gpu& g);
  void layer_attention(Gpu& g, int layer);
  void layer_mlp(Gpu& g, int layer);
  void all_reduce_proj(Gpu& g);
  void lm_head_rows(Gpu& g);
  void encode_images(Gpu& g);
  void decode_attention(Gpu& g, int layer, const bf16* q, int64_t q_stride, int64_t out_stride, int local_heads);
  std::vector<GpuStepTiming> wait_and_collect();
  // Runs fn on every local GPU, each on its worker thread with its device current. A failure is
  // rethrown naming `what` and the GPU; with `fatal` the communicators are aborted first and the
  // runtime refuses further steps.
  void on_gpus(const char* what, bool fatal, const std::function<void(Gpu&)>& fn);
  void fail(const std::string& why);

  RuntimeConfig cfg_;
  int layers_run_ = 0;
  std::unique_ptr<kernels::LocalComm> comm_;
  std::vector<std::unique_ptr<Gpu>> gpu_;
  std::vector<RuntimeRequest> batch_;
  std::vector<int> prefilled_, decoded_;  // per batch request
  std::vector<int32_t> ids_, positions_, lm_rows_;
  int64_t step_count_ = 0;
  int64_t timed_steps_ = 0;     // run_step calls, for RuntimeConfig::phase_every
  bool detailed_step_ = true;   // this step records per-phase events
  // Per step, shared by all GPUs (written before the workers start, read by them).
  int rows_ = 0, prefill_rows_ = 0, decode_rows_ = 0;
  int vision_tiles_ = 0, image_rows_ = 0;
  bool refresh_step_ = false;  // some A-VL request refreshes this step
  std::string broken_;  // non-empty: why the runtime refuses further steps
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace kvsim::runtime
