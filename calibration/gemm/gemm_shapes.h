// The (N, K) shapes of the GEMMs TpStepComposer asks OpCosts::gemm_s for, over kvsim's model presets:
// QKV and O projections for 1..8 kv heads on a GPU (any count a FairKV placement can give) and the
// counts standard TP gives; the MLP (gate+up, down) and the LM head under TP 1, 2, 4 and 8.
// bench_gemm.cpp measures each over M = 1, 2, 4, ..., max_m.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kvsim::calib {

struct GemmShape {
  int64_t n = 0;
  int64_t k = 0;
  int64_t max_m = 16384;
  std::string label;  // first use, e.g. "llama-3-70b qkv h=2"
};

// Unique (n, k) over all presets, in a stable order.
std::vector<GemmShape> gemm_shapes();

}  // namespace kvsim::calib
