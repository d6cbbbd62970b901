// See segment_layout.h.
#include "kernels/runtime/segment_layout.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace kvsim::runtime {

bool is_avl(const RuntimeRequest& r) { return !r.image_stored.empty(); }

int prefill_kept_blocks(const RuntimeRequest& r, int layer, int32_t kept, std::array<KeptBlock, 3>& out) {
  int n = 0;
  auto add = [&](int32_t src, int32_t dst, int32_t count) {
    if (count > 0) out[static_cast<std::size_t>(n++)] = {src, dst, count};
  };
  if (!is_avl(r)) {
    add(r.prompt_tokens - kept, 0, kept);
    return n;
  }
  const int32_t prefix = std::min(r.prefix_tokens, kept);
  const int32_t image = std::min(r.image_stored[static_cast<std::size_t>(layer)], kept - prefix);
  const int32_t text = kept - prefix - image;
  add(0, 0, prefix);
  add(r.prefix_tokens + r.image_tokens - image, prefix, image);
  add(r.prompt_tokens - text, prefix + image, text);
  return n;
}

int32_t target_length(const RuntimeRequest& r, int layer, int head, int decode_index, int32_t capacity) {
  const std::size_t i = static_cast<std::size_t>(layer) * r.budgets.kv_heads + head;
  const int32_t kept = std::min(r.budgets.kept[i], r.prompt_tokens);
  const auto grown = static_cast<int32_t>(std::ceil(static_cast<double>(r.budgets.growth[i]) * decode_index - 1e-6));
  return std::min(capacity, kept + grown);
}

int32_t decode_write_row(const RuntimeRequest& r, int layer, int head, int decode_index, int32_t capacity,
                         int32_t& length) {
  if (length < target_length(r, layer, head, decode_index, capacity)) return length++;
  // Full for this step: overwrite an evictable row, in rotation.
  const int32_t from =
      is_avl(r) ? std::min(length, r.prefix_tokens + r.image_stored[static_cast<std::size_t>(layer)]) : 0;
  if (length <= from) return -1;
  return from + decode_index % (length - from);
}

bool refreshes(int decode_index, int refresh_interval) {
  return refresh_interval > 0 && decode_index > 0 && decode_index % refresh_interval == 0;
}

kernels::AvlRequest avl_sparse_layout(const RuntimeRequest& r, int layer, int32_t core_offset) {
  const auto l = static_cast<std::size_t>(layer);
  return {.prefix_len = r.prefix_tokens, .num_secondary = r.image_stored[l],
          .num_core = std::min(r.image_computed[l], r.image_stored[l]), .core_offset = core_offset};
}

kernels::AvlRequest avl_dense_layout() { return {.prefix_len = INT32_MAX, .num_secondary = 0, .num_core = 0, .core_offset = 0}; }

}  // namespace kvsim::runtime
