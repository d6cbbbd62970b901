// See tp_step_composer.h.
#include "sim/executor/tp_step_composer.h"

#include <algorithm>

#include "sim/executor/vision_cost.h"

namespace kvsim {

TpStepComposer::TpStepComposer(std::string name, Deployment deployment, std::unique_ptr<OpCosts> costs)
    : name_(std::move(name)), d_(std::move(deployment)), costs_(std::move(costs)),
      attn_phase_s_(static_cast<std::size_t>(d_.gpus), 0.0), gemm_sum_s_(static_cast<std::size_t>(d_.gpus), 0.0),
      attention_sum_s_(static_cast<std::size_t>(d_.gpus), 0.0) {
  shape_of_cell_.resize(d_.kv_heads_held.size());
  for (std::size_t i = 0; i < d_.kv_heads_held.size(); ++i) {
    const HeadShape cell{d_.kv_heads_held[i], d_.kv_heads_served[i]};
    auto it = std::find_if(shapes_.begin(), shapes_.end(),
                           [&](const HeadShape& s) { return s.heads == cell.heads && s.served == cell.served; });
    if (it == shapes_.end()) it = shapes_.insert(shapes_.end(), cell);
    shape_of_cell_[i] = static_cast<int>(it - shapes_.begin());
  }
  shape_gemm_s_.assign(shapes_.size(), 0.0);
}

void TpStepComposer::time_step(const StepPlan& plan, StepTiming& out) {
  const ModelSpec& m = d_.model;
  const int G = d_.gpus;
  out.reset(m.layers, G);
  const double M = plan.tokens();
  if (M <= 0 && plan.vision_tiles == 0) {
    out.clear_cells();
    return;
  }
  const int group = m.group_size();
  const double hd = m.head_dim;
  const double hidden = m.hidden;
  const double bytes = m.dtype_bytes;
  const double ffn_shard = static_cast<double>(m.ffn) / G;

  auto phase = [&](int g, Phase p) -> double& { return out.phase_s[static_cast<std::size_t>(g) * kPhaseCount + static_cast<int>(p)]; };
  double t = 0;
  // The vision tower first: the image tiles of prompts that start their prefill this step.
  if (plan.vision_tiles > 0 && m.vision) {
    const VisionCost v = vision_encoder_cost(*m.vision, m.hidden, m.dtype_bytes, plan.vision_tiles, G, *costs_);
    for (int g = 0; g < G; ++g) {
      phase(g, Phase::gemm) += v.gemm_s;
      phase(g, Phase::attention) += v.attention_s;
      phase(g, Phase::allreduce) += v.allreduce_s;
      phase(g, Phase::other) += v.other_s;
      out.busy_s[static_cast<std::size_t>(g)] += v.total_s();
      if (plan.want_trace) out.slices.push_back({g, -1, "vision", t, v.total_s()});
    }
    t += v.total_s();
  }

  // Per layer the MLP shard, the elementwise work and the all-reduces depend only on the rows of the
  // layer: the same in every layer unless a policy drops prompt tokens between layers.
  struct RowCosts {
    double rows = 0, mlp_s = 0, elementwise_s = 0, allreduce_s = 0;
  };
  auto row_costs = [&](double rows) {
    RowCosts c{.rows = rows};
    // Projection GEMMs of each head shape: rows are all tokens for heads held whole, a share of them
    // for copies; a GPU without heads in a layer (or a layer without rows) launches none. Copies make
    // many shapes, and the row count repeats across decode steps: recompute only when it changes.
    if (rows != shape_gemm_rows_) {
      for (std::size_t k = 0; k < shapes_.size(); ++k) {
        const int heads = shapes_[k].heads;
        const double q_width = heads * group * hd;
        const double shape_rows = heads == 0 ? 0.0 : rows * shapes_[k].served / heads;
        shape_gemm_s_[k] = heads == 0 || shape_rows <= 0 ? 0.0
                           : costs_->gemm_s(shape_rows, q_width + 2.0 * heads * hd, hidden) +
                                 costs_->gemm_s(shape_rows, hidden, q_width);
      }
      shape_gemm_rows_ = rows;
    }
    if (rows <= 0) return c;
    c.mlp_s = costs_->gemm_s(rows, 2.0 * ffn_shard, hidden) + costs_->gemm_s(rows, hidden, ffn_shard);
    // RMSNorm x2 (read + write), two residual adds (2 reads + 1 write), SiLU*mul (2 reads + 1 write).
    c.elementwise_s = costs_->elementwise_s(rows * bytes * (4.0 * hidden + 6.0 * hidden + 3.0 * ffn_shard));
    c.allreduce_s = costs_->allreduce_s(rows * hidden * bytes, G);
    return c;
  };
  const bool per_layer_rows = !plan.prefill_tokens_per_layer.empty();
  RowCosts rc = row_costs(M);
  const bool has_prefill = !plan.prefill_pairs.empty();
  // Per GPU only the projection GEMMs and attention differ; the MLP, elementwise and all-reduce times
  // of a layer are the same on every GPU and are summed once per layer (fewer dependent adds per cell).
  std::fill(gemm_sum_s_.begin(), gemm_sum_s_.end(), 0.0);
  std::fill(attention_sum_s_.begin(), attention_sum_s_.end(), 0.0);
  double common_mlp_s = 0, common_elementwise_s = 0, common_allreduce_s = 0;
  for (int l = 0; l < m.layers; ++l) {
    if (per_layer_rows) rc = row_costs(plan.decode_requests + plan.prefill_tokens_per_layer[static_cast<std::size_t>(l)]);
    const double mlp_s = rc.mlp_s, elementwise_s = rc.elementwise_s, allreduce_s = rc.allreduce_s;
    double slowest = 0, slowest_decode = 0;
    for (int g = 0; g < G; ++g) {
      const int i = d_.index(l, g);
      const int heads = d_.kv_heads_held[static_cast<std::size_t>(i)];
      const double gemm = shape_gemm_s_[static_cast<std::size_t>(shape_of_cell_[static_cast<std::size_t>(i)])];
      double attention = 0, decode = 0;
      if (plan.decode_requests > 0 && heads > 0) {
        const double kv = plan.decode_kv_tokens[static_cast<std::size_t>(i)];
        decode = d_.sparse_decode
                     ? costs_->sparse_decode_attention_s(
                           kv, plan.decode_requests * d_.kv_heads_served[static_cast<std::size_t>(i)],
                           plan.decode_requests, group, m.head_dim)
                     : costs_->decode_attention_s(kv, plan.decode_requests, group, m.head_dim);
        if (!plan.refresh_segments.empty())
          decode += costs_->avl_refresh_s(plan.refresh_scored_tokens[static_cast<std::size_t>(i)],
                                          plan.refresh_segments[static_cast<std::size_t>(i)], group, m.head_dim);
      }
      attention += decode;
      if (has_prefill && heads > 0)
        attention += costs_->prefill_attention_s(plan.prefill_pairs[static_cast<std::size_t>(i)], group, m.head_dim);
      const double own = gemm + attention;
      attn_phase_s_[static_cast<std::size_t>(g)] = own;
      slowest = std::max(slowest, own);
      slowest_decode = std::max(slowest_decode, decode);
      out.attention_s[static_cast<std::size_t>(i)] = attention;
      out.decode_attention_cell_s[static_cast<std::size_t>(i)] = decode;
      gemm_sum_s_[static_cast<std::size_t>(g)] += gemm;
      attention_sum_s_[static_cast<std::size_t>(g)] += attention;
    }
    common_mlp_s += mlp_s;
    common_elementwise_s += elementwise_s;
    common_allreduce_s += 2 * allreduce_s;
    out.decode_attention_s += slowest_decode;
    if (plan.want_trace) {
      for (int g = 0; g < G; ++g) {
        const double own = attn_phase_s_[static_cast<std::size_t>(g)];
        out.slices.push_back({g, l, "attn", t, own});
        if (G > 1) out.slices.push_back({g, l, "allreduce", t + slowest, allreduce_s});
        out.slices.push_back({g, l, "mlp", t + slowest + allreduce_s, mlp_s + elementwise_s});
        if (G > 1) out.slices.push_back({g, l, "allreduce", t + slowest + 2 * allreduce_s + mlp_s + elementwise_s, allreduce_s});
      }
    }
    t += slowest + 2 * allreduce_s + mlp_s + elementwise_s;
  }
  for (int g = 0; g < G; ++g) {
    const double gemm = gemm_sum_s_[static_cast<std::size_t>(g)], attention = attention_sum_s_[static_cast<std::size_t>(g)];
    phase(g, Phase::gemm) += gemm + common_mlp_s;
    phase(g, Phase::attention) += attention;
    phase(g, Phase::allreduce) += common_allreduce_s;
    phase(g, Phase::other) += common_elementwise_s;
    out.busy_s[static_cast<std::size_t>(g)] += gemm + attention + common_mlp_s + common_elementwise_s + common_allreduce_s;
  }
  // LM head: one row per request that emits a token this step; vocabulary split over the GPUs.
  const double rows = plan.decode_requests + plan.prefill_completions;
  if (rows > 0) {
    const double lm_s = costs_->gemm_s(rows, static_cast<double>(m.vocab) / G, hidden);
    for (int g = 0; g < G; ++g) {
      phase(g, Phase::gemm) += lm_s;
      out.busy_s[static_cast<std::size_t>(g)] += lm_s;
      if (plan.want_trace) out.slices.push_back({g, -1, "lm_head", t, lm_s});
    }
    t += lm_s;
  }
  out.step_s = t;
}

}  // namespace kvsim
