// The per-layer compressed KV cache: one K pool and one V pool per layer, cut into segments, one per
// (request, kv head), segment s = request * num_kv_heads + kv_head. Segment s holds rows
// [offset[s], offset[s] + capacity[s]) of the pool (row = head_dim bf16 values), of which the first
// length[s] are live. Appending a decode token writes one row in place; nothing is ever copied,
// unlike AdaKV's reference code that reallocates and copies every head's cache each step.
//
// SegmentTable::build lays segments out back to back from per-segment capacities (host only).
#pragma once

#include "kernels/common/host_device.h"

#include <cuda_bf16.h>

#include <cstdint>
#include <span>
#include <vector>

namespace kvsim::kernels {

// What a kernel sees of one layer's cache. All arrays are device pointers, indexed by segment.
struct KvCacheView {
  __nv_bfloat16* k = nullptr;        // [pool_rows][head_dim]
  __nv_bfloat16* v = nullptr;        // [pool_rows][head_dim]
  const int64_t* offset = nullptr;   // first pool row of each segment
  const int32_t* capacity = nullptr; // rows reserved for each segment
  int32_t* length = nullptr;         // live rows of each segment (append and compaction update it)
  int num_requests = 0;
  int num_kv_heads = 0;
  int head_dim = 0;

  KVSIM_HOST_DEVICE int num_segments() const { return num_requests * num_kv_heads; }
};

// Host-side layout of one layer's pool: offsets are the prefix sum of the capacities.
struct SegmentTable {
  std::vector<int64_t> offset;
  std::vector<int32_t> capacity;
  int64_t pool_rows = 0;

  // capacity[s] = tokens[s] + headroom (e.g. the decode steps still to come), rounded up to
  // `granule` rows so segments start on aligned rows.
  static SegmentTable build(std::span<const int32_t> tokens, int32_t headroom, int32_t granule = 8) {
    SegmentTable t;
    t.offset.reserve(tokens.size());
    t.capacity.reserve(tokens.size());
    for (const int32_t n : tokens) {
      const int32_t want = n + headroom;
      const int32_t cap = (want + granule - 1) / granule * granule;
      t.offset.push_back(t.pool_rows);
      t.capacity.push_back(cap);
      t.pool_rows += cap;
    }
    return t;
  }
};

}  // namespace kvsim::kernels
