// CPU reference of the KV append kernel (kernels/kv_cache/append.h), on host copies of one layer.
#pragma once

#include "kernels/reference/bf16.h"

#include <cstdint>
#include <span>
#include <vector>

namespace kvsim::kernels::ref {

// Appends new_k/new_v ([segments][head_dim]) in place; returns true if any segment was full.
inline bool append_ref(std::vector<bf16_bits>& k, std::vector<bf16_bits>& v, std::span<const int64_t> offset,
                       std::span<const int32_t> capacity, std::vector<int32_t>& length,
                       std::span<const bf16_bits> new_k, std::span<const bf16_bits> new_v, int head_dim) {
  bool overflow = false;
  for (std::size_t s = 0; s < offset.size(); ++s) {
    if (length[s] >= capacity[s]) {
      overflow = true;
      continue;
    }
    const std::size_t dst = static_cast<std::size_t>(offset[s] + length[s]) * head_dim;
    for (int d = 0; d < head_dim; ++d) {
      k[dst + d] = new_k[s * head_dim + d];
      v[dst + d] = new_v[s * head_dim + d];
    }
    ++length[s];
  }
  return overflow;
}

}  // namespace kvsim::kernels::ref
