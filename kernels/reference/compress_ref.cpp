// CPU references of prefill-end compression (see compress_ref.h).
#include "kernels/reference/compress_ref.h"

#include "kernels/reference/topk_ref.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kvsim::kernels::ref {

std::vector<double> window_scores_ref(const PrefillRef& p, double scale, GqaReduce reduce, int pool_kernel) {
  const double inf = std::numeric_limits<double>::infinity();
  const int B = static_cast<int>(p.cu_seqlens.size()) - 1;
  const int H = p.num_kv_heads, G = p.group_size, D = p.head_dim, W = p.window;
  const int64_t total = p.cu_seqlens[B];
  std::vector<double> pooled(static_cast<std::size_t>(H) * total, -inf);
  for (int b = 0; b < B; ++b) {
    const int begin = p.cu_seqlens[b];
    const int n = p.cu_seqlens[b + 1] - begin;
    const int w_eff = std::min(W, n);
    const int n_prefix = n - w_eff;
    for (int h = 0; h < H; ++h) {
      std::vector<double> raw(static_cast<std::size_t>(n_prefix), 0.0);
      for (int g = 0; g < G; ++g) {
        std::vector<double> mean(static_cast<std::size_t>(n_prefix), 0.0);
        for (int i = W - w_eff; i < W; ++i) {
          const int pos = n - W + i;
          const bf16_bits* q = p.q_window + ((static_cast<int64_t>(b) * W + i) * H * G + h * G + g) * D;
          std::vector<double> s(static_cast<std::size_t>(pos + 1));
          double m = -inf;
          for (int j = 0; j <= pos; ++j) {
            const bf16_bits* k = p.k + ((static_cast<int64_t>(begin) + j) * H + h) * D;
            double dot = 0.0;
            for (int d = 0; d < D; ++d) dot += double{bf16_to_float(q[d])} * double{bf16_to_float(k[d])};
            s[j] = dot * scale;
            m = std::max(m, s[j]);
          }
          double l = 0.0;
          for (int j = 0; j <= pos; ++j) l += std::exp(s[j] - m);
          for (int j = 0; j < n_prefix; ++j) mean[j] += std::exp(s[j] - m) / l / w_eff;
        }
        for (int j = 0; j < n_prefix; ++j)
          raw[j] = reduce == GqaReduce::Max ? std::max(raw[j], mean[j]) : raw[j] + mean[j] / G;
      }
      const int half = pool_kernel / 2;
      for (int j = 0; j < n_prefix; ++j) {
        double v = -inf;
        for (int t = std::max(0, j - half); t <= std::min(n_prefix - 1, j + half); ++t) v = std::max(v, raw[t]);
        pooled[score_index(H, begin, n, h, j)] = v;
      }
    }
  }
  return pooled;
}

std::vector<int32_t> adakv_budgets_ref(std::span<const float> scores, std::span<const int32_t> cu_seqlens,
                                       int num_kv_heads, int window, int32_t budget, float alpha) {
  const int B = static_cast<int>(cu_seqlens.size()) - 1;
  const int32_t floor_tokens = adakv_floor(budget, alpha);
  std::vector<int32_t> budgets(static_cast<std::size_t>(B) * num_kv_heads, 0);
  for (int b = 0; b < B; ++b) {
    const int begin = cu_seqlens[b];
    const int n = cu_seqlens[b + 1] - begin;
    const int n_prefix = n - std::min(window, n);
    const int k = num_kv_heads * std::min(budget - floor_tokens, n_prefix);
    const auto row = scores.subspan(static_cast<std::size_t>(num_kv_heads) * begin,
                                    static_cast<std::size_t>(num_kv_heads) * n);
    std::vector<int32_t> counts(static_cast<std::size_t>(num_kv_heads), 0);
    for (const int32_t idx : topk_ref(row, k)) ++counts[static_cast<std::size_t>(idx / n)];
    for (int h = 0; h < num_kv_heads; ++h)
      budgets[static_cast<std::size_t>(b) * num_kv_heads + h] = std::min(n_prefix, floor_tokens + counts[h]);
  }
  return budgets;
}

std::vector<std::vector<int32_t>> select_tokens_ref(std::span<const float> scores, std::span<const int32_t> cu_seqlens,
                                                    int num_kv_heads, int window, std::span<const int32_t> budgets) {
  const int B = static_cast<int>(cu_seqlens.size()) - 1;
  std::vector<std::vector<int32_t>> kept;
  for (int b = 0; b < B; ++b) {
    const int begin = cu_seqlens[b];
    const int n = cu_seqlens[b + 1] - begin;
    const int n_prefix = n - std::min(window, n);
    for (int h = 0; h < num_kv_heads; ++h) {
      const int seg = b * num_kv_heads + h;
      const int keep = std::clamp(budgets[seg], 0, n_prefix);
      const auto row = scores.subspan(static_cast<std::size_t>(score_index(num_kv_heads, begin, n, h, 0)),
                                      static_cast<std::size_t>(n_prefix));
      std::vector<int32_t> tokens = topk_ref(row, keep);
      for (int t = n_prefix; t < n; ++t) tokens.push_back(t);
      kept.push_back(std::move(tokens));
    }
  }
  return kept;
}

}  // namespace kvsim::kernels::ref
