// The tiny decoder-runtime case shared by tests/runtime/test_runtime_gpu.cpp (single process) and
// tests/runtime/test_runtime_mpi.cpp (one MPI rank per GPU): the model (2 layers, hidden 256, ffn 512,
// 4 q heads, 2 kv heads, head_dim 128, vocab 1000), the placements, 3 requests with uneven per-head
// budgets, and 4 steps (chunked prefill, prefill mixed with decode, decodes).
#pragma once

#include "kernels/runtime/decoder_runtime.h"

#include <stdexcept>
#include <vector>

namespace kvsim::runtime::test {

inline ModelSpec tiny_model() {
  return {.name = "tiny", .layers = 2, .hidden = 256, .ffn = 512, .q_heads = 4, .kv_heads = 2, .head_dim = 128,
          .vocab = 1000};
}

// copies[layer * kv_heads + head] from a function of (layer, head).
template <class F>
Placement make(const ModelSpec& m, int gpus, const char* kind, F copies_of) {
  Placement p{.kind = kind, .layers = m.layers, .kv_heads = m.kv_heads, .gpus = gpus};
  for (int l = 0; l < m.layers; ++l)
    for (int h = 0; h < m.kv_heads; ++h) p.copies.push_back(copies_of(l, h));
  if (const std::string why = placement_problem(p); !why.empty()) throw std::logic_error("test placement: " + why);
  return p;
}

inline Placement one_gpu(const ModelSpec& m) {
  return make(m, 1, "tensor_parallel", [](int, int) { return std::vector<HeadCopy>{{0, 1.0}}; });
}
inline Placement tensor_parallel2(const ModelSpec& m) {
  return make(m, 2, "tensor_parallel", [](int, int h) { return std::vector<HeadCopy>{{h, 1.0}}; });
}
// Head 0 of every layer copied on both GPUs (shares 0.5 / 0.5), head 1 on GPU 1.
inline Placement fair_copying2(const ModelSpec& m) {
  return make(m, 2, "fair_copying", [](int, int h) {
    return h == 0 ? std::vector<HeadCopy>{{0, 0.5}, {1, 0.5}} : std::vector<HeadCopy>{{1, 1.0}};
  });
}

inline std::vector<RuntimeRequest> requests(const ModelSpec& m) {
  std::vector<RuntimeRequest> rs;
  const int prompts[] = {40, 70, 9};
  for (int i = 0; i < 3; ++i) {
    RuntimeRequest r{.id = i, .prompt_tokens = prompts[i], .output_tokens = 4, .budgets = {}};
    r.budgets.resize(m.layers, m.kv_heads);
    for (int l = 0; l < m.layers; ++l)
      for (int h = 0; h < m.kv_heads; ++h) {
        const std::size_t c = static_cast<std::size_t>(l) * m.kv_heads + h;
        r.budgets.kept[c] = std::min(prompts[i], 5 + 13 * (h + 1) + 7 * l + 3 * i);  // uneven per head
        r.budgets.growth[c] = 1.0f;
      }
    rs.push_back(std::move(r));
  }
  return rs;
}

// Steps: chunked prefill of request 1, prefill mixed with decode, then decodes of all.
inline std::vector<RuntimeStep> steps() {
  return {RuntimeStep{{{.index = 0, .chunk_start = 0, .chunk_len = 40}, {.index = 1, .chunk_start = 0, .chunk_len = 30}}},
          RuntimeStep{{{.index = 1, .chunk_start = 30, .chunk_len = 40}, {.index = 0, .decode = true},
                       {.index = 2, .chunk_start = 0, .chunk_len = 9}}},
          RuntimeStep{{{.index = 0, .decode = true}, {.index = 1, .decode = true}, {.index = 2, .decode = true}}},
          RuntimeStep{{{.index = 1, .decode = true}, {.index = 2, .decode = true}}}};
}

}  // namespace kvsim::runtime::test
