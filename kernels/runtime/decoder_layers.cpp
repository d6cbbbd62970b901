// DecoderRuntime's per-layer computations on one GPU (see decoder_runtime.h for the step they make
// up): attention (norm, fused QKV projection, RoPE, K/V writes, prefill and decode attention, O
// projection), the all-reduce, the MLP, and the LM head.
#include "kernels/attention/avl_refresh.h"
#include "kernels/attention/avl_sparse.h"
#include "kernels/attention/decode.h"
#include "kernels/attention/prefill.h"
#include "kernels/comm/comm.h"
#include "kernels/ops/ops.h"
#include "kernels/runtime/decoder_gpu.h"

#include <stdexcept>

namespace kvsim::runtime {

void DecoderRuntime::layer_attention(Gpu& g, int l) {
  const ModelSpec& m = cfg_.model;
  const int B = static_cast<int>(batch_.size()), D = m.head_dim, G = m.group_size(), R = rows_, P = prefill_rows_;
  const LayerWeights& w = g.layers[static_cast<std::size_t>(l)];
  KvPool& st = g.kv.stage[static_cast<std::size_t>(l)];
  KvPool& ca = g.kv.cache[static_cast<std::size_t>(l)];
  const int L = w.local_heads();
  const int64_t QD = w.q_width(m), KD = w.kv_width(m), S = QD + 2 * KD;  // S: row stride of q | k | v
  bf16* const q = g.qkv.data();
  bf16* const k = q + QD;
  bf16* const v = k + KD;

  // The previous layer's MLP residual add is fused into this norm (layer_mlp leaves it to us).
  kernels::RmsNormParams norm{.x = g.x.data(), .weight = w.attn_norm.data(), .y = g.h.data(), .rows = R,
                              .hidden = m.hidden, .eps = cfg_.rms_eps};
  if (l > 0) norm.residual = g.proj.data(), norm.sum = g.x.data();
  kernels::run(norm, g.stream);
  g.timer.mark(Phase::other);
  g.gemm_run(g.h.data(), w.w_qkv.data(), q, R, S, m.hidden);
  g.timer.mark(Phase::gemm);
  if (L > 0) {
    kernels::run(kernels::RopeParams{.q = q, .k = k, .positions = g.dev(g.off_pos), .tokens = R, .q_heads = L * G,
                                     .kv_heads = L, .head_dim = D, .theta = cfg_.rope_theta, .q_stride = S, .k_stride = S},
                 g.stream);
    kernels::KvCacheView sv = st.view(B, D);
    sv.length = const_cast<int32_t*>(g.dev(g.off_stage_len[static_cast<std::size_t>(l)]));
    write_kv({.k = k, .v = v, .row_request = g.dev(g.off_row_req),
              .dest_row = g.dev(g.off_stage_dest[static_cast<std::size_t>(l)]), .rows = P, .src_heads = L, .cache = sv,
              .src_stride = S},
             g.stream);
    write_kv({.k = k + int64_t{P} * S, .v = v + int64_t{P} * S, .row_request = g.dev(g.off_row_req) + P,
              .dest_row = g.dev(g.off_cache_dest[static_cast<std::size_t>(l)]), .rows = decode_rows_, .src_heads = L,
              .cache = ca.view(B, D), .src_stride = S},
             g.stream);
    g.timer.mark(Phase::other);
    if (P > 0)
      kernels::run(kernels::PrefillParams{.q = q, .cu_q = g.dev(g.off_cu_q), .q_start = g.dev(g.off_q_start),
                                          .total_q = P, .cache = sv, .group_size = G, .out = g.attn.data(),
                                          .q_stride = S},
                   nullptr, g.stream);
    g.timer.mark(Phase::attention);
    const int nb = g.block_count[static_cast<std::size_t>(l)];
    if (nb > 0)
      copy_blocks({.src_k = st.k.data(), .src_v = st.v.data(), .dst_k = ca.k.data(), .dst_v = ca.v.data(),
                   .blocks = g.blocks.data() + g.block_first[static_cast<std::size_t>(l)], .num_blocks = nb,
                   .max_count = g.block_max[static_cast<std::size_t>(l)], .head_dim = D},
                  g.stream);
    g.timer.mark(Phase::other);
    if (decode_rows_ > 0) decode_attention(g, l, q, S, QD, L);
    g.timer.mark(Phase::attention);
  }
  g.gemm_run(g.attn.data(), w.wo.data(), g.proj.data(), R, m.hidden, QD);
  g.timer.mark(Phase::gemm);
}

// Decode attention of the step's decode rows: queries read in place from the fused projection rows
// (stride q_stride), outputs written in place into attn (stride out_stride): no gather or scatter. A
// head slot a decoding request has no KV in (a copy serving others) gets zeros. With A-VL requests in
// the batch, the sparse kernel reads each request's prefix, core and text (dense on its refresh
// steps); on a refresh step the dense requests' image tokens are then scored with the attention's
// lse (averaged over this GPU's q heads of the layer) and their core re-picked (top-k).
void DecoderRuntime::decode_attention(Gpu& g, int l, const bf16* q, int64_t q_stride, int64_t out_stride,
                                      int local_heads) {
  const ModelSpec& m = cfg_.model;
  const int B = static_cast<int>(batch_.size()), D = m.head_dim, G = m.group_size();
  KvPool& ca = g.kv.cache[static_cast<std::size_t>(l)];
  // Both kernels take the same row mapping: queries and outputs are rows of qkv and attn.
  auto map_rows = [&](auto& p) {
    p.q_row = g.dev(g.off_q_row);
    p.q_row_stride = q_stride;
    p.out_row_stride = out_stride;
    p.row_kv_heads = local_heads;
    p.zero_empty = true;
    if (const kernels::Support s = kernels::supported(p); !s) throw std::invalid_argument(s.why);
  };
  if (!g.kv.avl) {
    kernels::DecodeParams dp{.q = q, .cache = ca.view(B, D), .plan = g.plan.get(), .layer = l, .group_size = G,
                             .out = g.attn.data()};
    map_rows(dp);
    kernels::run(dp, g.decode_ws.data(), g.stream);
    return;
  }
  int32_t* const core = g.kv.avl_core.data() + static_cast<std::size_t>(l) * B * g.kv.core_stride;
  kernels::AvlSparseParams ap{.q = q, .cache = ca.view(B, D), .requests = g.avl_rows(g.off_avl_sparse[static_cast<std::size_t>(l)]),
                              .core_idx = core, .plan = g.plan.get(), .layer = l, .group_size = G,
                              .out = g.attn.data(), .lse = refresh_step_ ? g.avl_lse.data() : nullptr};
  map_rows(ap);
  kernels::run(ap, g.decode_ws.data(), g.stream);
  if (!refresh_step_ || local_heads == 0) return;
  const kernels::AvlRequest* refreshing = g.avl_rows(g.off_avl_refresh[static_cast<std::size_t>(l)]);
  const int max_secondary = std::max(g.kv.max_secondary, 1);
  kernels::AvlImageScoresParams sp{.q = q, .cache = ca.view(B, D), .requests = refreshing, .lse = g.avl_lse.data(),
                                   .group_size = G, .max_secondary = max_secondary, .scores = g.avl_scores.data(),
                                   .score_stride = max_secondary};
  sp.q_row = g.dev(g.off_q_row);
  sp.q_row_stride = q_stride;
  sp.row_kv_heads = local_heads;
  sp.lengths = ca.capacity.data();  // 0 for a head copy that does not serve the request
  if (const kernels::Support s = kernels::supported(sp); !s) throw std::invalid_argument(s.why);
  kernels::run(sp, g.avl_score_ws.data(), g.stream);
  const kernels::AvlSelectCoreParams cp{.scores = g.avl_scores.data(), .score_stride = max_secondary,
                                        .num_requests = B, .requests = refreshing, .core_idx = core};
  kernels::run(cp, g.avl_select_ws.data(), g.stream);
}

// Sums proj over the GPUs of the placement, on this GPU's communicator (called from its worker).
void DecoderRuntime::all_reduce_proj(Gpu& g) {
  if (world_gpus() == 1) return;
  comm_->all_reduce_member(g.member, g.proj.data(), g.proj.data(), static_cast<std::size_t>(rows_) * cfg_.model.hidden);
  g.timer.mark(Phase::allreduce);
}

void DecoderRuntime::layer_mlp(Gpu& g, int l) {
  const ModelSpec& m = cfg_.model;
  const int R = rows_;
  const LayerWeights& w = g.layers[static_cast<std::size_t>(l)];
  const int64_t n = int64_t{R} * m.hidden, F = w.ffn_shard;
  kernels::run(kernels::RmsNormParams{.x = g.x.data(), .weight = w.mlp_norm.data(), .y = g.h.data(), .rows = R,
                                      .hidden = m.hidden, .eps = cfg_.rms_eps, .residual = g.proj.data(),
                                      .sum = g.x.data()},
               g.stream);
  g.timer.mark(Phase::other);
  g.gemm_run(g.h.data(), w.w_gate_up.data(), g.gu.data(), R, 2 * F, m.hidden);
  g.timer.mark(Phase::gemm);
  kernels::run(kernels::SiluMulParams{.gate_up = g.gu.data(), .out = g.act.data(), .rows = R, .width = static_cast<int>(F)},
               g.stream);
  g.timer.mark(Phase::other);
  g.gemm_run(g.act.data(), w.w_down.data(), g.proj.data(), R, m.hidden, F);
  g.timer.mark(Phase::gemm);
  all_reduce_proj(g);
  // The residual add goes into the next layer's attention norm; only the last layer adds here.
  if (l + 1 == layers_run_) {
    kernels::run(kernels::AddParams{.x = g.x.data(), .y = g.proj.data(), .count = n}, g.stream);
    g.timer.mark(Phase::other);
  }
}

// LM head: the emitting rows of x gathered and normed (other), times this GPU's vocabulary shard (gemm).
void DecoderRuntime::lm_head_rows(Gpu& g) {
  const ModelSpec& m = cfg_.model;
  const int E = static_cast<int>(lm_rows_.size());
  if (E == 0) return;
  copy_rows({.src = g.x.data(), .dst = g.lm_x.data(), .src_idx = g.dev(g.off_lm_src), .n = E, .src_stride = m.hidden,
             .dst_stride = m.hidden, .width = m.hidden},
            g.stream);
  kernels::run(kernels::RmsNormParams{.x = g.lm_x.data(), .weight = g.lm.norm.data(), .y = g.lm_x.data(), .rows = E,
                                      .hidden = m.hidden, .eps = cfg_.rms_eps},
               g.stream);
  g.timer.mark(Phase::other);
  g.gemm_run(g.lm_x.data(), g.lm.w.data(), g.logits.data(), E, g.lm.vocab_rows, m.hidden);
  g.timer.mark(Phase::gemm);
}

}  // namespace kvsim::runtime
