// A tiny custom model whose byte counts are easy to compute by hand (see test_memory.cpp).
#pragma once

#include <nlohmann/json.hpp>

namespace kvsim::testing {

// 2 layers, hidden 64, ffn 128, 4 q heads, 2 kv heads, head_dim 16, vocab 100, bf16.
//   attention weights per kv head: 64 * 16 * (2*2 + 2) * 2 B = 12,288 B
//   per layer: 2 * 12,288 + MLP 3*64*128*2 = 49,152 + norms 2*64*2 = 256  ->  73,984 B
//   total: 2 * 73,984 + embeddings 100*64*2*2 = 25,600 + final norm 128  ->  173,696 B
//   KV per token per kv head per layer: 2 * 16 * 2 B = 64 B
inline nlohmann::json tiny_model() {
  return {{"name", "tiny"}, {"layers", 2}, {"hidden", 64}, {"ffn", 128}, {"q_heads", 4},
          {"kv_heads", 2}, {"head_dim", 16}, {"vocab", 100}};
}

// A scenario of the tiny model on `gpus` custom GPUs with `memory_bytes` each and no reserve.
inline nlohmann::json tiny_scenario(int gpus, double memory_bytes, const std::string& trace) {
  return {{"schema_version", 1},
          {"seed", 3},
          {"model", tiny_model()},
          {"hardware", {{"gpus", gpus}, {"reserve_fraction", 0.0},
                        {"gpu", {{"name", "toy"}, {"memory_gib", memory_bytes / (1024.0 * 1024 * 1024)},
                                 {"hbm_tb_per_s", 1.0}, {"bf16_tflops", 100.0}, {"interconnect_gb_per_s", 100.0},
                                 {"interconnect_latency_us", 5.0}}}}},
          {"workload", {{"arrival", "trace"}, {"trace", trace}}},
          {"kv_policy", {{"kind", "full"}}},
          {"placement", {{"kind", "tensor_parallel"}}}};
}

}  // namespace kvsim::testing
