// A small valid scenario used by several tests (LLaMA-3-8B on 2 H200, 40 requests).
#pragma once

#include <nlohmann/json.hpp>

namespace kvsim::testing {

inline nlohmann::json small_scenario() {
  return nlohmann::json::parse(R"({
    "schema_version": 1,
    "name": "small",
    "seed": 7,
    "model": "llama-3-8b",
    "hardware": {"gpu": "h200", "gpus": 2},
    "workload": {"arrival": "poisson", "rate_per_s": 20, "requests": 40,
                 "prompt_tokens": {"uniform": [256, 2048]}, "output_tokens": {"uniform": [16, 64]}},
    "kv_policy": {"kind": "uniform", "budget": 256},
    "placement": {"kind": "tensor_parallel"},
    "scheduler": {"max_batch_size": 16, "max_batched_tokens": 2048}
  })");
}

}  // namespace kvsim::testing
