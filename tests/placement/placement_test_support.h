// Shared helpers of the placement tests: tiny models, fixed-seed skewed loads, a request builder.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/model/model_spec.h"
#include "sim/placement/placement.h"

namespace kvsim::test {

// layers x kv_heads model with small shapes; weights per kv head are 384 bytes when kv_heads = 2.
inline ModelSpec tiny_model(int layers, int kv_heads) {
  return {.name = "tiny", .layers = layers, .hidden = 8, .ffn = 16, .q_heads = 2 * kv_heads,
          .kv_heads = kv_heads, .head_dim = 4, .vocab = 10};
}

// Skewed per-head loads: 100 + 4000 * u^3 tokens, u uniform from a fixed-seed mt19937_64 (whose output
// is specified by the standard, so the numbers are the same everywhere).
inline std::vector<double> skewed_loads(const ModelSpec& m, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> load(static_cast<std::size_t>(m.layers) * m.kv_heads);
  for (double& v : load) {
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    v = 100.0 + 4000.0 * u * u * u;
  }
  return load;
}

inline PlacementRequest request_for(const ModelSpec& m, int gpus, std::vector<double> load,
                                    double concurrent = 0, std::int64_t memory = 0) {
  return {.model = &m, .gpus = gpus, .head_load = std::move(load), .gpu_memory_bytes = memory,
          .expected_concurrent_requests = concurrent};
}

inline Placement place(const std::string& kind, const PlacementRequest& r, nlohmann::json extra = nlohmann::json::object()) {
  extra["kind"] = kind;
  return make_placement(extra, r, "test.json", "/placement");
}

// Weights + R * KV bytes of each GPU, computed from the public interface only.
inline std::vector<double> memory_bytes(const Placement& p, const ModelSpec& m, const std::vector<double>& load, double R) {
  const auto weights = p.weight_bytes_per_gpu(m);
  const auto lg = p.layer_gpu_load(load);
  std::vector<double> bytes(p.gpus);
  for (int g = 0; g < p.gpus; ++g) {
    double tokens = 0;
    for (int l = 0; l < p.layers; ++l) tokens += lg[static_cast<std::size_t>(l) * p.gpus + g];
    bytes[g] = static_cast<double>(weights[g]) + R * static_cast<double>(m.kv_bytes_per_head_token()) * tokens;
  }
  return bytes;
}

}  // namespace kvsim::test
