// The per-GPU state of DecoderRuntime and the plan of one step: private to kernels/runtime's .cpp
// files (decoder_runtime.cpp: set-up, steps, warm-up; decoder_layers.cpp: the layer computations).
#pragma once

#include "kernels/attention/decode_plan.h"
#include "kernels/common/cuda_check.h"
#include "kernels/gemm/gemm.h"
#include "kernels/runtime/decoder_runtime.h"
#include "kernels/runtime/runtime_kernels.h"

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
};

}  // namespace kvsim::runtime
