// The KV memory one GPU holds for a batch of requests, per layer (kernels/kv_cache/kv_cache.h layout):
//   cache  the compressed per-head cache: segment (request r, local head slot h) = r * h_max + h, with
//          capacity = the request's peak tokens for that (layer, kv head) when this GPU's copy serves
//          the request (kept + ceil(growth * (output_tokens - 1)), from its HeadBudgets), else 0. Every
//          layer uses h_max slots (the most local heads of any layer on this GPU) so one DecodePlan
//          covers all layers; slots past a layer's local heads have capacity 0.
//   stage  the uncompressed prompt K/V during prefill: segment r * local_heads + h, capacity
//          prompt_tokens for served requests. Read by the prefill kernel; at prefill end the last
//          `kept` rows are copied into the cache (the runtime's compression: keep the most recent).
// Host mirrors of every segment's live length are authoritative; kernels get them uploaded.
// kv_bytes() counts cache pools only, and equals predicted_kv_bytes() (an independent formula from
// the simulator's kv_bytes_per_head_token); staging is reported apart.
#pragma once

#include "kernels/common/device_buffer.h"
#include "kernels/kv_cache/kv_cache.h"
#include "sim/budget/budget_source.h"
#include "sim/model/model_spec.h"
#include "sim/placement/placement.h"

#include <cuda_bf16.h>

#include <cstdint>
#include <vector>

namespace kvsim::runtime {

struct RuntimeRequest {
  int64_t id = 0;            // Placement::copy_for_request index (arrival order)
  int prompt_tokens = 0;
  int output_tokens = 0;
  HeadBudgets budgets;       // kept and growth per (layer, kv head) of the whole model
  // Vision-language requests: the prompt is prefix_tokens | image_tokens | text; vision_tiles tiles
  // go through the vision tower in the step that starts the prompt's prefill.
  int prefix_tokens = 0;
  int image_tokens = 0;
  int vision_tiles = 0;
  // A-VL (empty: not A-VL): per layer, the image tokens each segment stores after prefill and those a
  // normal decode step attends (the core); budgets.kept = prefix + image_stored + text kept.
  std::vector<int32_t> image_stored = {}, image_computed = {};
};

// kept + ceil(growth * (output_tokens - 1)): the tokens (layer, head) holds after the last decode step.
int32_t peak_tokens(const RuntimeRequest& r, int layer, int head);

struct KvPool {
  kernels::SegmentTable table;
  std::vector<int32_t> length;  // host, per segment
  kernels::DeviceBuffer<__nv_bfloat16> k, v;
  kernels::DeviceBuffer<int64_t> offset;
  kernels::DeviceBuffer<int32_t> capacity, device_length;
  int heads = 0;  // segments per request

  void build(const std::vector<int32_t>& capacities, int requests, int heads_per_request, int head_dim);
  kernels::KvCacheView view(int requests, int head_dim);
  int64_t bytes() const { return static_cast<int64_t>(k.bytes() + v.bytes()); }
};

struct GpuKvState {
  int gpu = 0;
  int h_max = 0;
  std::vector<std::vector<int>> heads;  // [layer] global kv heads held here, ascending
  std::vector<KvPool> cache, stage;     // [layer]
  // A-VL requests: each layer's core lists, [layer][request][core_stride] indices into the stored
  // image tokens, ascending; first the first image_computed of them (by position), then whatever the
  // refresh steps pick. max_secondary: the most stored image tokens of any request and layer.
  kernels::DeviceBuffer<int32_t> avl_core;
  int core_stride = 0, max_secondary = 0;
  bool avl = false;  // some request is A-VL

  // Allocates on the current device. layer_heads[l]: the heads of layer l on this GPU.
  void build(const ModelSpec& model, const Placement& placement, const std::vector<RuntimeRequest>& requests,
             int gpu_index, const std::vector<std::vector<int>>& layer_heads);
  int64_t kv_bytes() const;
  int64_t staging_bytes() const;
};

// sum over layers < layers_run, kv heads, requests served on `gpu` of peak_tokens * kv_bytes_per_head_token.
int64_t predicted_kv_bytes(const ModelSpec& model, const Placement& placement,
                           const std::vector<RuntimeRequest>& requests, int gpu, int layers_run);

}  // namespace kvsim::runtime
