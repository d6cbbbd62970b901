// The vision tower's prefill work for the image tiles a step encodes, costed from its shapes with the
// executor's per-op costs (so roofline and calibrated executors both price it). The tower is
// tensor-parallel over the step's GPUs like the language model: per encoder layer, QKV and O
// projections and the two MLP matrices split over G GPUs, bidirectional attention within each tile
// (n^2 query-key pairs per head for n = patch + extra tokens), two all-reduces; then the projector
// (Linear, GELU, Linear) over the patch tokens and one all-reduce. Layer norms, residual adds and
// the activation are elementwise traffic.
#pragma once

#include "sim/executor/op_costs.h"
#include "sim/model/vision_spec.h"

namespace kvsim {

struct VisionCost {
  double gemm_s = 0, attention_s = 0, allreduce_s = 0, other_s = 0;
  double total_s() const { return gemm_s + attention_s + allreduce_s + other_s; }
};

// One GPU's share (all GPUs do the same) of encoding `tiles` tiles into `llm_hidden`-wide tokens.
VisionCost vision_encoder_cost(const VisionSpec& vision, int llm_hidden, int dtype_bytes, double tiles, int gpus,
                               const OpCosts& costs);

}  // namespace kvsim
