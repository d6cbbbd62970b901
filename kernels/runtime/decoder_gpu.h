// The per-GPU state of DecoderRuntime and the plan of one step: private to kernels/runtime's .cpp
// files (decoder_runtime.cpp: set-up, steps, warm-up; decoder_layers.cpp: the layer computations).
#pragma once

#include "kernels/attention/avl_types.h"
#include "kernels/attention/decode_plan.h"
#include "kernels/common/cuda_check.h"
#include "kernels/gemm/gemm.h"
#include "kernels/runtime/decoder_runtime.h"
#include "kernels/runtime/runtime_kernels.h"
#include "kernels/runtime/vision_tower.h"

#include <array>
#include <map>
#include <memory>
#include <vector>

namespace kvsim::runtime {

using kernels::DeviceBuffer;

struct DecoderRuntime::Gpu {
  int id = 0;      // placement GPU (NCCL rank)
  int member = 0;  // index in comm_ and gpu_
  int device = 0;
  cudaStream_t stream = nullptr;
  std::unique_ptr<kernels::GemmHandle> gemm;
  std::map<std::array<int64_t, 3>, std::unique_ptr<kernels::GemmPlan>> plans;
  std::vector<LayerWeights> layers;
  LmHeadWeights lm;
  DeviceBuffer<bf16> embedding;
  GpuKvState kv;
  std::unique_ptr<kernels::DecodePlan> plan;
  DeviceBuffer<char> decode_ws;
  DeviceBuffer<bf16> x, h, qkv, attn, proj, gu, act, lm_x, logits;
  // Per-step integer inputs, uploaded in one copy: host vector, device copy, offsets.
  std::vector<int32_t> host;
  DeviceBuffer<int32_t> arena;
  std::vector<RowBlock> host_blocks;
  DeviceBuffer<RowBlock> blocks;
  std::size_t off_ids = 0, off_pos = 0, off_row_req = 0, off_cu_q = 0, off_q_start = 0, off_q_row = 0,
              off_lm_src = 0;
  std::vector<std::size_t> off_stage_dest, off_cache_dest, off_stage_len;
  std::vector<int> block_first, block_count, block_max;
  PhaseTimer timer;
  std::size_t layers_from = 0, layers_to = 0;  // marks bounding the layer loop (the rest runs once)
  // A-VL steps: per layer, the step's AvlRequest rows in the arena (sparse layout, and the layout the
  // refresh kernels use: the real one for refreshing requests, no image tokens for the others);
  // lse of the refresh steps' dense attention, image scores and the top-k's workspace (grow-only).
  std::vector<std::size_t> off_avl_sparse, off_avl_refresh;
  DeviceBuffer<float> avl_lse, avl_scores;
  DeviceBuffer<char> avl_score_ws, avl_select_ws;
  // Vision: the tower (models with one), its output for the step's tiles, and the rows of it that
  // become image-token rows of x (arena offsets of source and destination row lists).
  std::unique_ptr<VisionTower> vision;
  DeviceBuffer<bf16> vision_out;
  std::size_t off_image_src = 0, off_image_dst = 0;

  const kernels::AvlRequest* avl_rows(std::size_t off) const {
    return reinterpret_cast<const kernels::AvlRequest*>(arena.data() + off);
  }

  std::size_t put(const std::vector<int32_t>& values) {
    const std::size_t at = host.size();
    host.insert(host.end(), values.begin(), values.end());
    host.resize((host.size() + 3) / 4 * 4);  // 16-byte aligned starts
    return at;
  }
  const int32_t* dev(std::size_t off) const { return arena.data() + off; }

  void gemm_run(const bf16* in, const bf16* w, bf16* out, int64_t m, int64_t n, int64_t k) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
      KVSIM_CUDA_CHECK(cudaMemsetAsync(out, 0, static_cast<std::size_t>(m * n) * sizeof(bf16), stream));
      return;
    }
    auto& p = plans[{m, n, k}];
    if (!p) p = std::make_unique<kernels::GemmPlan>(*gemm, m, n, k);
    p->run(*gemm, in, w, out, stream);
  }
};

// One step's rows, shared by every GPU: prefill chunks then decodes, each in batch order.
struct DecoderRuntime::StepPlan {
  std::vector<StepRequest> pre, dec;
  std::vector<int32_t> row_req, cu_q, q_start;
  std::vector<int32_t> q_row;  // [batch]: the row of each decoding request's query (and output), -1 otherwise
  std::vector<char> refresh;   // [batch]: an A-VL request on one of its refresh steps
  bool any_refresh = false;
  int vision_tiles = 0;        // tiles the vision tower encodes (prompts starting their prefill)
  // Image-token rows of x taken from the tower's output: source rows in vision_out, rows of x.
  std::vector<int32_t> image_src, image_dst;
};

}  // namespace kvsim::runtime
