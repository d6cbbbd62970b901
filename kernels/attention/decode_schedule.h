// Host-side work split for split-KV ("flash-decoding") attention over per-head variable lengths.
// Plain C++ (no CUDA), so CI tests it. decode.h wraps it in DecodePlan, which uploads one schedule
// per layer once per decode step and is then reused by every layer's launch.
//
// Why: with per-head budgets one (request, kv head) segment may hold 100x the tokens of another.
// One CTA per segment would leave the GPU waiting for the longest one. Instead every segment is cut
// into chunks of about the same token count (chunk_tokens, derived from the total so the grid is a
// few waves of the device's CTA slots); a long segment gets many CTAs, an empty one none. Chunks of
// one segment are consecutive work items, merged afterwards by log-sum-exp; a segment that fits in
// one chunk is written directly ("direct") and skips the merge. When every segment kept whole is
// predicted to finish no later than the split (prefer_direct; e.g. uniform lengths, where 512
// segments of 4096 take 2 rounds of 264 CTAs either way), no segment is split and the merge kernel
// is not launched at all (needs_merge false): on an H200 at batch 64 x 8 kv heads x 4096 tokens,
// group 8, that is 248 us against 259 us for the 4-wave split (reports/kernels/2026-11-29-run3).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
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
  // Keep every segment whole (one direct item each, no merge) when that is predicted no slower than
  // the split above: equal-length items finish in whole rounds of num_sms * ctas_per_sm CTAs, so
  // both cost (rounds of items) x (longest item); the split adds partials and a merge on top.
  bool prefer_direct = true;
};

struct LayerSchedule {
  std::vector<DecodeWorkItem> items;
  std::vector<SegmentChunks> segments;
  int32_t chunk_tokens = 0;
  int64_t total_tokens = 0;
  bool needs_merge = false;  // some segment is empty or has several chunks (the merge kernel runs)
  bool has_split = false;    // some segment has several chunks (needs_merge without the empty ones)
};

inline LayerSchedule schedule_layer(std::span<const int32_t> lengths, const DecodeScheduleConfig& cfg) {
  LayerSchedule s;
  int64_t longest = 0, nonempty = 0;
  for (const int32_t n : lengths) {
    s.total_tokens += std::max<int32_t>(n, 0);
    longest = std::max<int64_t>(longest, n);
    nonempty += n > 0 ? 1 : 0;
  }
  const int64_t round = int64_t{std::max(cfg.num_sms, 1)} * std::max(cfg.ctas_per_sm, 1);
  const int64_t slots = round * std::max(cfg.waves, 1);
  const int64_t g = std::max(cfg.granule_tokens, 1);
  int64_t chunk = (s.total_tokens + slots - 1) / slots;
  chunk = (chunk + g - 1) / g * g;
  chunk = std::max<int64_t>(chunk, cfg.min_chunk_tokens);

  // Split plan: pieces per segment and the longest piece, to compare with keeping segments whole.
  auto piece_of = [&](int64_t n, int64_t c) {
    const int64_t pieces = (n + c - 1) / c;
    int64_t piece = (n + pieces - 1) / pieces;
    return std::pair<int64_t, int64_t>{pieces, (piece + g - 1) / g * g};
  };
  // Quick reject: greedy in-order dispatch of the split finishes by total / round + chunk.
  const int64_t direct_cost = (nonempty + round - 1) / round * longest;
  if (cfg.prefer_direct && longest > chunk && direct_cost <= s.total_tokens / round + chunk) {
    int64_t items = 0, max_piece = 0;
    for (const int32_t n : lengths) {
      if (n <= 0) continue;
      const auto [pieces, piece] = piece_of(n, chunk);
      items += pieces;
      max_piece = std::max(max_piece, std::min<int64_t>(piece, n));
    }
    const int64_t split_cost = (items + round - 1) / round * max_piece;
    if (direct_cost <= split_cost) chunk = longest;
  }
  s.chunk_tokens = static_cast<int32_t>(chunk);

  s.segments.reserve(lengths.size());
  for (std::size_t seg = 0; seg < lengths.size(); ++seg) {
    const int64_t n = std::max<int32_t>(lengths[seg], 0);
    s.segments.push_back({static_cast<int32_t>(s.items.size()), 0});
    if (n == 0) {
      s.needs_merge = true;  // the merge kernel writes its zeros
      continue;
    }
    // Equal pieces (rounded to the granule) rather than full chunks plus a short tail.
    const auto [pieces, piece] = piece_of(n, s.chunk_tokens);
    if (pieces > 1) s.needs_merge = s.has_split = true;
    for (int64_t b = 0; b < n; b += piece) {
      s.items.push_back({static_cast<int32_t>(seg), static_cast<int32_t>(b),
                         static_cast<int32_t>(std::min(n, b + piece)), pieces == 1 ? 1 : 0});
    }
    s.segments.back().count = static_cast<int32_t>(s.items.size()) - s.segments.back().first;
  }
  return s;
}

}  // namespace kvsim::kernels
