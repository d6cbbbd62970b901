// Where a request's tokens sit in its compressed cache segment: the host-side rules DecoderRuntime
// prepares each step with (kept apart so that CPU tests check them).
//  - Prefill end: the prompt rows each (layer, kv head) keeps. A text request keeps its last `kept`
//    rows. An A-VL request keeps prefix | stored image tokens | text: its whole prefix, the last
//    image_stored[layer] image tokens and the last (kept - prefix - image) text tokens. Rows are
//    chosen by position, not by attention scores (AdaKV's or A-VL's): the runtime measures time, and
//    which rows are read does not change it.
//  - Decode step d (1-based, the request's own count): the segment grows to
//    target_length = min(capacity, kept + ceil(growth * d)), the count the simulator's budgets give.
//    Below it the new token is appended; at it, the token overwrites an evictable row (the text part
//    of an A-VL segment, the whole segment otherwise, in rotation), as an evicting cache would.
//  - A-VL per step: each request's AvlRequest for kernels/attention/avl_sparse.h: sparse (prefix,
//    stored image, core, text) on normal steps, dense on its refresh steps (d a multiple of the
//    policy's refresh interval), when every stored token is attended and the core re-picked.
#pragma once

#include "kernels/attention/avl_types.h"
#include "kernels/runtime/kv_state.h"

#include <array>
#include <cstdint>

namespace kvsim::runtime {

struct KeptBlock {
  int32_t src = 0;    // first prompt position (= row of the uncompressed staging segment)
  int32_t dst = 0;    // first row in the compressed segment
  int32_t count = 0;  // rows
};

bool is_avl(const RuntimeRequest& r);
// The blocks (at most 3, none empty) that copy the `kept` rows of (request, layer) at prefill end;
// returns how many. kept <= prompt_tokens; for A-VL, kept >= prefix + image_stored[layer].
int prefill_kept_blocks(const RuntimeRequest& r, int layer, int32_t kept, std::array<KeptBlock, 3>& out);
// Rows of (request, layer, kv head) after its decode step `decode_index` (1-based).
int32_t target_length(const RuntimeRequest& r, int layer, int head, int decode_index, int32_t capacity);
// The row decode step `decode_index` writes its K/V to, advancing `length` when it appends; -1 when
// the segment holds no row that may be overwritten (nothing is written).
int32_t decode_write_row(const RuntimeRequest& r, int layer, int head, int decode_index, int32_t capacity,
                         int32_t& length);

bool refreshes(int decode_index, int refresh_interval);
// A-VL layout of (request, layer) for a normal step; its core list starts at core_offset.
kernels::AvlRequest avl_sparse_layout(const RuntimeRequest& r, int layer, int32_t core_offset);
// A layout the sparse kernel reads densely (the prefix covers the segment): refresh steps and
// requests without A-VL in a batch that has some.
kernels::AvlRequest avl_dense_layout();

}  // namespace kvsim::runtime
