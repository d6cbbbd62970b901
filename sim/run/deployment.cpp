// See deployment.h.
#include "sim/run/deployment.h"

#include <cstdio>
#include <string>

#include "sim/core/format_bytes.h"
#include "sim/core/input_error.h"

namespace kvsim {
Deployment make_deployment(const Scenario& s, const Placement& placement) {
  Deployment d{.model = s.model, .gpu = s.gpu, .gpus = s.gpus};
  d.kv_heads_held.assign(static_cast<std::size_t>(s.model.layers) * s.gpus, 0);
  d.kv_heads_served.assign(static_cast<std::size_t>(s.model.layers) * s.gpus, 0.0);
  for (int l = 0; l < s.model.layers; ++l)
    for (int h = 0; h < s.model.kv_heads; ++h)
      for (const HeadCopy& c : placement.head_copies(l, h)) {
        ++d.kv_heads_held[static_cast<std::size_t>(d.index(l, c.gpu))];
        d.kv_heads_served[static_cast<std::size_t>(d.index(l, c.gpu))] += c.share;
      }
  d.weight_bytes = placement.weight_bytes_per_gpu(s.model);
  for (int g = 0; g < s.gpus; ++g) {
    const std::int64_t need = d.weight_bytes[static_cast<std::size_t>(g)] + s.reserve_bytes();
    if (need >= s.gpu.memory_bytes)
      throw InputError(s.file, "/hardware/gpus",
                       "GPUs with room for the weights shard (" + format_gib(d.weight_bytes[static_cast<std::size_t>(g)]) +
                           " on GPU " + std::to_string(g) + ") plus the reserve (" + format_gib(s.reserve_bytes()) + ")",
                       std::to_string(s.gpus) + " x " + s.gpu.name + " with " + format_gib(s.gpu.memory_bytes) + " each");
  }
  return d;
}

}  // namespace kvsim
