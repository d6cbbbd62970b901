// See vision_cost.h.
#include "sim/executor/vision_cost.h"

namespace kvsim {

VisionCost vision_encoder_cost(const VisionSpec& v, int llm_hidden, int dtype_bytes, double tiles, int gpus,
                               const OpCosts& costs) {
  VisionCost c;
  if (tiles <= 0 || v.layers <= 0) return c;
  const double G = gpus, h = v.hidden, bytes = dtype_bytes;
  const double n = v.encoder_tokens_per_tile();
  const double rows = tiles * n;
  const double per_layer_gemm = costs.gemm_s(rows, 3.0 * h / G, h) + costs.gemm_s(rows, h, h / G) +
                                costs.gemm_s(rows, v.ffn / G, h) + costs.gemm_s(rows, h, v.ffn / G);
  // Bidirectional attention inside each tile: n * n pairs per head; heads / G heads per GPU.
  const double pairs = tiles * n * n * (static_cast<double>(v.heads) / G);
  const double per_layer_attention = costs.prefill_attention_s(pairs, 1, v.head_dim());
  // LayerNorm x2 (read + write), residual adds x2 (2 reads + 1 write), GELU over the MLP shard.
  const double per_layer_other = costs.elementwise_s(rows * bytes * (10.0 * h + 2.0 * v.ffn / G));
  const double per_layer_allreduce = 2.0 * costs.allreduce_s(rows * h * bytes, gpus);
  c.gemm_s = v.layers * per_layer_gemm;
  c.attention_s = v.layers * per_layer_attention;
  c.other_s = v.layers * per_layer_other;
  c.allreduce_s = v.layers * per_layer_allreduce;
  // Projector over the patch tokens: Linear(h -> p), GELU, Linear(p -> llm_hidden).
  const double patches = tiles * v.patch_tokens;
  c.gemm_s += costs.gemm_s(patches, v.projector_hidden / G, h) + costs.gemm_s(patches, llm_hidden, v.projector_hidden / G);
  c.other_s += costs.elementwise_s(patches * bytes * 2.0 * v.projector_hidden / G);
  c.allreduce_s += costs.allreduce_s(patches * llm_hidden * bytes, gpus);
  return c;
}

}  // namespace kvsim
