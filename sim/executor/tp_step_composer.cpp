// See tp_step_composer.h.
#include "sim/executor/tp_step_composer.h"

#include <algorithm>

namespace kvsim {

TpStepComposer::TpStepComposer(std::string name, Deployment deployment, std::unique_ptr<OpCosts> costs)
    : name_(std::move(name)), d_(std::move(deployment)), costs_(std::move(costs)),
      attn_phase_s_(static_cast<std::size_t>(d_.gpus), 0.0) {}

void TpStepComposer::time_step(const StepPlan& plan, StepTiming& out) {
  const ModelSpec& m = d_.model;
  const int G = d_.gpus;
  out.reset(m.layers, G);
  const double M = plan.tokens();
  if (M <= 0) return;
  const int group = m.group_size();
  const double hd = m.head_dim;
  const double hidden = m.hidden;
  const double bytes = m.dtype_bytes;
  const double ffn_shard = static_cast<double>(m.ffn) / G;

  // Same on every layer and GPU: the MLP shard, the elementwise work and the all-reduces.
  const double mlp_s = costs_->gemm_s(M, 2.0 * ffn_shard, hidden) + costs_->gemm_s(M, hidden, ffn_shard);
  // RMSNorm x2 (read + write), two residual adds (2 reads + 1 write), SiLU*mul (2 reads + 1 write).
  const double elementwise_s = costs_->elementwise_s(M * bytes * (4.0 * hidden + 6.0 * hidden + 3.0 * ffn_shard));
  const double allreduce_s = costs_->allreduce_s(M * hidden * bytes, G);

  auto phase = [&](int g, Phase p) -> double& { return out.phase_s[static_cast<std::size_t>(g) * kPhaseCount + static_cast<int>(p)]; };
  double t = 0;
  const bool has_prefill = !plan.prefill_pairs.empty();
  for (int l = 0; l < m.layers; ++l) {
    double slowest = 0;
    for (int g = 0; g < G; ++g) {
      const int i = d_.index(l, g);
      const int heads = d_.kv_heads_held[static_cast<std::size_t>(i)];
      const double q_width = heads * group * hd;
      // Rows of the projection GEMMs: all tokens for heads held whole, a share of them for copies.
      const double rows = heads == 0 ? 0.0 : M * d_.kv_heads_served[static_cast<std::size_t>(i)] / heads;
      const double gemm =  // a GPU without heads in this layer launches no projection GEMMs
          heads == 0 ? 0.0 : costs_->gemm_s(rows, q_width + 2.0 * heads * hd, hidden) + costs_->gemm_s(rows, hidden, q_width);
      double attention = 0;
      if (plan.decode_requests > 0 && heads > 0)
        attention += costs_->decode_attention_s(plan.decode_kv_tokens[static_cast<std::size_t>(i)], plan.decode_requests,
                                                group, m.head_dim);
      if (has_prefill && heads > 0)
        attention += costs_->prefill_attention_s(plan.prefill_pairs[static_cast<std::size_t>(i)], group, m.head_dim);
      const double own = gemm + attention;
      attn_phase_s_[static_cast<std::size_t>(g)] = own;
      slowest = std::max(slowest, own);
      out.attention_s[static_cast<std::size_t>(i)] = attention;
      phase(g, Phase::gemm) += gemm + mlp_s;
      phase(g, Phase::attention) += attention;
      phase(g, Phase::allreduce) += 2 * allreduce_s;
      phase(g, Phase::other) += elementwise_s;
      out.busy_s[static_cast<std::size_t>(g)] += own + mlp_s + elementwise_s + 2 * allreduce_s;
    }
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
