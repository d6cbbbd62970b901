// DecoderRuntime::prepare: the host tables of one GPU for one step (K/V destination rows, segment
// lengths, prefill-end compression blocks, the decode plan's lengths, A-VL layouts, image rows),
// uploaded in one copy, and scratch sized for the step. Runs on the GPU's worker thread. Where each
// token goes is decided by segment_layout.h.
#include "kernels/attention/avl_refresh.h"
#include "kernels/attention/decode.h"
#include "kernels/runtime/decoder_gpu.h"
#include "kernels/runtime/segment_layout.h"

#include <algorithm>
#include <cstring>

namespace kvsim::runtime {

namespace {

// AvlRequest rows as the arena's int32 words.
std::vector<int32_t> as_words(const std::vector<kernels::AvlRequest>& rows) {
  static_assert(sizeof(kernels::AvlRequest) == 4 * sizeof(int32_t));
  std::vector<int32_t> words(rows.size() * 4);
  if (!rows.empty()) std::memcpy(words.data(), rows.data(), words.size() * sizeof(int32_t));
  return words;
}

}  // namespace

void DecoderRuntime::prepare(Gpu& g, const StepPlan& sp) {
  const ModelSpec& m = cfg_.model;
  const int B = static_cast<int>(batch_.size()), D = m.head_dim, G = m.group_size(), R = rows_, P = prefill_rows_;
  GpuKvState& kv = g.kv;
  const int hm = kv.h_max, cs = kv.core_stride;
  g.host.clear();
  g.off_ids = g.put(ids_);
  g.off_pos = g.put(positions_);
  g.off_row_req = g.put(sp.row_req);
  g.off_cu_q = g.put(sp.cu_q);
  g.off_q_start = g.put(sp.q_start);
  g.off_q_row = g.put(sp.q_row);
  g.off_lm_src = g.put(lm_rows_);
  g.off_image_src = g.put(sp.image_src);
  g.off_image_dst = g.put(sp.image_dst);
  const auto layers = static_cast<std::size_t>(layers_run_);
  g.off_stage_dest.assign(layers, 0);
  g.off_cache_dest.assign(layers, 0);
  g.off_stage_len.assign(layers, 0);
  g.off_avl_sparse.assign(layers, 0);
  g.off_avl_refresh.assign(layers, 0);
  g.block_first.assign(layers, 0);
  g.block_count.assign(layers, 0);
  g.block_max.assign(layers, 0);
  g.host_blocks.clear();
  std::vector<int32_t> plan_lengths(layers * B * hm, 0);
  std::vector<kernels::AvlRequest> sparse(static_cast<std::size_t>(B)), refresh(static_cast<std::size_t>(B));
  std::vector<kernels::AvlRequest> prev_sparse, prev_refresh;
  for (int l = 0; l < layers_run_; ++l) {
    KvPool& st = kv.stage[static_cast<std::size_t>(l)];
    KvPool& ca = kv.cache[static_cast<std::size_t>(l)];
    const std::vector<int>& heads = kv.heads[static_cast<std::size_t>(l)];
    const int L = st.heads;
    std::vector<int32_t> sdest(static_cast<std::size_t>(P) * L, -1), cdest(static_cast<std::size_t>(decode_rows_) * L, -1);
    int row = 0;
    for (const StepRequest& s : sp.pre) {
      for (int i = 0; i < s.chunk_len; ++i, ++row)
        for (int h = 0; h < L; ++h)
          if (st.table.capacity[static_cast<std::size_t>(s.index) * L + h] > 0)
            sdest[static_cast<std::size_t>(row) * L + h] = s.chunk_start + i;
      for (int h = 0; h < L; ++h) {
        const std::size_t seg = static_cast<std::size_t>(s.index) * L + h;
        if (st.table.capacity[seg] > 0) st.length[seg] = s.chunk_start + s.chunk_len;
      }
      // Prefill end: the kept rows of each served head into the cache (segment_layout.h).
      const RuntimeRequest& r = batch_[static_cast<std::size_t>(s.index)];
      if (s.chunk_start + s.chunk_len == r.prompt_tokens)
        for (int h = 0; h < L; ++h) {
          const std::size_t sseg = static_cast<std::size_t>(s.index) * L + h;
          const std::size_t cseg = static_cast<std::size_t>(s.index) * hm + h;
          if (st.table.capacity[sseg] == 0) continue;
          const int32_t kept = std::min(r.budgets.at(l, heads[static_cast<std::size_t>(h)]), r.prompt_tokens);
          ca.length[cseg] = kept;
          std::array<KeptBlock, 3> blocks;
          const int n = prefill_kept_blocks(r, l, kept, blocks);
          for (int b = 0; b < n; ++b) {
            const KeptBlock& k = blocks[static_cast<std::size_t>(b)];
            g.host_blocks.push_back({st.table.offset[sseg] + k.src, ca.table.offset[cseg] + k.dst, k.count});
            ++g.block_count[static_cast<std::size_t>(l)];
            g.block_max[static_cast<std::size_t>(l)] = std::max(g.block_max[static_cast<std::size_t>(l)], k.count);
          }
        }
    }
    if (l + 1 < layers_run_) g.block_first[static_cast<std::size_t>(l) + 1] = static_cast<int>(g.host_blocks.size());
    for (int d = 0; d < decode_rows_; ++d) {
      const int b = sp.dec[static_cast<std::size_t>(d)].index;
      const RuntimeRequest& r = batch_[static_cast<std::size_t>(b)];
      const int step = decoded_[static_cast<std::size_t>(b)] + 1;  // this decode step, 1-based
      const bool avl = is_avl(r), dense = !avl || sp.refresh[static_cast<std::size_t>(b)];
      const kernels::AvlRequest layout = avl ? avl_sparse_layout(r, l, b * cs) : avl_dense_layout();
      for (int h = 0; h < L; ++h) {
        const std::size_t cseg = static_cast<std::size_t>(b) * hm + h;
        if (ca.table.capacity[cseg] == 0) continue;
        cdest[static_cast<std::size_t>(d) * L + h] =
            decode_write_row(r, l, heads[static_cast<std::size_t>(h)], step, ca.table.capacity[cseg], ca.length[cseg]);
        plan_lengths[(static_cast<std::size_t>(l) * B + b) * hm + h] =
            dense ? ca.length[cseg] : kernels::avl_sparse_tokens(layout, ca.length[cseg]);
      }
      if (kv.avl) {
        sparse[static_cast<std::size_t>(b)] = dense ? avl_dense_layout() : layout;
        refresh[static_cast<std::size_t>(b)] = {.prefix_len = 0, .num_secondary = 0, .num_core = 0, .core_offset = b * cs};
        if (avl && sp.refresh[static_cast<std::size_t>(b)]) refresh[static_cast<std::size_t>(b)] = layout;
      }
    }
    g.off_stage_dest[static_cast<std::size_t>(l)] = g.put(sdest);
    g.off_cache_dest[static_cast<std::size_t>(l)] = g.put(cdest);
    g.off_stage_len[static_cast<std::size_t>(l)] = g.put(st.length);
    if (kv.avl && decode_rows_ > 0) {
      // Layers with the same layouts share one copy (every layer, unless a prefill filter differs).
      auto same = [](const std::vector<kernels::AvlRequest>& a, const std::vector<kernels::AvlRequest>& b) {
        return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(kernels::AvlRequest)) == 0;
      };
      const std::size_t at = static_cast<std::size_t>(l);
      g.off_avl_sparse[at] = l > 0 && same(sparse, prev_sparse) ? g.off_avl_sparse[at - 1] : g.put(as_words(sparse));
      g.off_avl_refresh[at] = l > 0 && same(refresh, prev_refresh) ? g.off_avl_refresh[at - 1] : g.put(as_words(refresh));
      prev_sparse = sparse;
      prev_refresh = refresh;
    }
  }
  g.arena.upload(std::span<const int32_t>(g.host), g.stream);
  g.blocks.upload(std::span<const RowBlock>(g.host_blocks), g.stream);
  if (decode_rows_ > 0) g.plan->update(plan_lengths, layers_run_, B * hm, g.stream);
  // Scratch (reallocated only when a step is larger than any before).
  const std::size_t rows = static_cast<std::size_t>(std::max(R, 1));
  const std::size_t qd = static_cast<std::size_t>(std::max(hm, 1)) * G * D;
  g.x.resize(rows * m.hidden);
  g.h.resize(rows * m.hidden);
  g.proj.resize(rows * m.hidden);
  g.qkv.resize(rows * (qd + 2 * static_cast<std::size_t>(std::max(hm, 1)) * D));
  g.attn.resize(rows * qd);
  const std::size_t F = static_cast<std::size_t>(m.ffn / world_gpus());
  g.gu.resize(rows * 2 * F);
  g.act.resize(rows * F);
  const std::size_t lm = std::max<std::size_t>(lm_rows_.size(), 1);
  g.lm_x.resize(lm * m.hidden);
  g.logits.resize(lm * static_cast<std::size_t>(std::max<int64_t>(g.lm.vocab_rows, 1)));
  if (decode_rows_ > 0) {
    kernels::DecodeParams dp{.q = g.qkv.data(), .cache = kv.cache[0].view(B, D), .plan = g.plan.get(),
                             .layer = 0, .group_size = G, .out = g.attn.data()};
    g.decode_ws.resize(std::max<std::size_t>(kernels::workspace_bytes(dp), 1));
    if (sp.any_refresh) {
      g.avl_lse.resize(static_cast<std::size_t>(B) * std::max(hm, 1) * G);
      g.avl_scores.resize(static_cast<std::size_t>(B) * std::max(kv.max_secondary, 1));
      kernels::AvlImageScoresParams sp{.cache = kv.cache[0].view(B, D), .score_stride = std::max(kv.max_secondary, 1)};
      g.avl_score_ws.resize(std::max<std::size_t>(kernels::workspace_bytes(sp), 1));
      const kernels::AvlSelectCoreParams cp{.num_requests = B};
      g.avl_select_ws.resize(std::max<std::size_t>(kernels::workspace_bytes(cp), 1));
    }
  }
  if (sp.vision_tiles > 0)
    g.vision_out.resize(static_cast<std::size_t>(sp.vision_tiles) * m.vision->patch_tokens * m.hidden);
}

}  // namespace kvsim::runtime
