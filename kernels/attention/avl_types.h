// Per-request layout of an A-VL segment, shared by the kernels and the CPU references (plain C++).
// Every (request, kv head) segment of a layer is laid out as
//   [0, prefix_len)                          always-kept prefix (system prompt before the image)
//   [prefix_len, prefix_len + num_secondary) secondary image tokens (minor ones evicted at prefill)
//   [prefix_len + num_secondary, length)     text tokens the text policy keeps, then generated ones
// The core subset is a list of num_core indices into the secondary range, ascending, starting at
// core_idx[core_offset]; it is per layer and shared by all heads of the layer, as in A-VL.
#pragma once

#include "kernels/common/host_device.h"

#include <cstdint>

namespace kvsim::kernels {

struct AvlRequest {
  int32_t prefix_len = 0;
  int32_t num_secondary = 0;
  int32_t num_core = 0;
  int32_t core_offset = 0;
};

// Tokens a sparse step attends over for a segment of `length` live rows.
KVSIM_HOST_DEVICE inline int32_t avl_sparse_tokens(const AvlRequest& r, int32_t length) {
  return length - r.num_secondary + r.num_core;
}

}  // namespace kvsim::kernels
