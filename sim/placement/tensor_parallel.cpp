// tensor_parallel: standard Megatron/vLLM TP over GQA kv heads. GPU g holds the contiguous kv heads
// [g * H/G, (g+1) * H/G) of every layer (with their q heads). Needs kv_heads to be a multiple of the
// GPU count: with fewer kv heads than GPUs, real TP replicates kv heads (vLLM does when tp > kv
// heads), which kvsim does not model under this name; use best_effort or balanced_split instead.
#include "sim/core/input_error.h"
#include "sim/placement/placement_detail.h"

namespace kvsim::placement_detail {

Placement tensor_parallel(const Problem& p, const std::string& file, const std::string& pointer) {
  const int H = p.heads(), G = p.gpus;
  if (H < G || H % G != 0)
    throw InputError(file, pointer + "/kind",
                     "a placement kind other than tensor_parallel, or a GPU count that divides the model's " +
                         std::to_string(H) + " kv heads (tensor_parallel does not replicate kv heads)",
                     "tensor_parallel on " + std::to_string(G) + " GPUs");
  Placement out;
  out.kind = "tensor_parallel", out.layers = p.layers(), out.kv_heads = H, out.gpus = G;
  out.copies.resize(static_cast<std::size_t>(p.layers()) * H);
  for (int l = 0; l < p.layers(); ++l)
    for (int h = 0; h < H; ++h) out.copies[static_cast<std::size_t>(l) * H + h] = {{h / (H / G), 1.0}};
  out.search = {{"heads_per_gpu", H / G}};
  return out;
}

}  // namespace kvsim::placement_detail
