// Host-side work split for split-KV ("flash-decoding") attention over per-head variable lengths.
// Plain C++ (no CUDA), so CI tests it. decode.h wraps it in DecodePlan, which uploads one schedule
// per layer once per decode step and is then reused by every layer's launch.
//
// Why: with per-head budgets one (request, kv head) segment may hold 100x the tokens of another.
// One CTA per segment would leave the GPU waiting for the longest one. Instead every segment is cut
// into chunks of about the same token count (chunk_tokens, derived from the total so the grid is a
// few waves of the device's CTA slots); a long segment gets many CTAs, an empty one none. Chunks of
// one segment are consecutive work items, merged afterwards by log-sum-exp; a segment that fits in
// one chunk is written directly ("direct") and skips the merge.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace kvsim::kernels {

struct alignas(16) DecodeWorkItem {
  int32_t segment;  // request * num_kv_heads + kv_head
  int32_t begin;    // first token (logical index within the segment)
  int32_t end;      // one past the last token
  int32_t direct;   // 1: the segment has only this chunk, write the final output
};

struct SegmentChunks {
  int32_t first;  // index of the segment's first work item (items of a segment are consecutive)
  int32_t count;  // 0 for an empty segment
};

struct DecodeScheduleConfig {
  int num_sms = 132;            // from the device
  int ctas_per_sm = 2;          // occupancy of the split kernel
  int waves = 4;                // target work items = waves * num_sms * ctas_per_sm
  int min_chunk_tokens = 256;   // below this the fixed cost per CTA dominates
  int granule_tokens = 64;      // the kernel's token tile; chunks are multiples of it
};

struct LayerSchedule {
  std::vector<DecodeWorkItem> items;
  std::vector<SegmentChunks> segments;
  int32_t chunk_tokens = 0;
  int64_t total_tokens = 0;
};

inline LayerSchedule schedule_layer(std::span<const int32_t> lengths, const DecodeScheduleConfig& cfg) {
  LayerSchedule s;
  for (const int32_t n : lengths) s.total_tokens += std::max<int32_t>(n, 0);
  const int64_t slots = int64_t{std::max(cfg.num_sms, 1)} * std::max(cfg.ctas_per_sm, 1) * std::max(cfg.waves, 1);
  const int64_t g = std::max(cfg.granule_tokens, 1);
  int64_t chunk = (s.total_tokens + slots - 1) / slots;
  chunk = (chunk + g - 1) / g * g;
  s.chunk_tokens = static_cast<int32_t>(std::max<int64_t>(chunk, cfg.min_chunk_tokens));

  s.segments.reserve(lengths.size());
  for (std::size_t seg = 0; seg < lengths.size(); ++seg) {
    const int64_t n = std::max<int32_t>(lengths[seg], 0);
    const int64_t pieces = (n + s.chunk_tokens - 1) / s.chunk_tokens;
    s.segments.push_back({static_cast<int32_t>(s.items.size()), static_cast<int32_t>(pieces)});
    if (pieces == 0) continue;
    // Equal pieces (rounded to the granule) rather than full chunks plus a short tail.
    int64_t piece = (n + pieces - 1) / pieces;
    piece = (piece + g - 1) / g * g;
    for (int64_t b = 0; b < n; b += piece) {
      s.items.push_back({static_cast<int32_t>(seg), static_cast<int32_t>(b),
                         static_cast<int32_t>(std::min(n, b + piece)), pieces == 1 ? 1 : 0});
    }
    s.segments.back().count = static_cast<int32_t>(s.items.size()) - s.segments.back().first;
  }
  return s;
}

}  // namespace kvsim::kernels
