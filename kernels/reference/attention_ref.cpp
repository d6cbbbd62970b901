// CPU references of the attention kernels (see attention_ref.h).
#include "kernels/reference/attention_ref.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kvsim::kernels::ref {

double attend_ref(const bf16_bits* q, const bf16_bits* k, const bf16_bits* v, std::span<const int64_t> rows,
                  int head_dim, double scale, double* out) {
  std::fill(out, out + head_dim, 0.0);
  if (rows.empty()) return -std::numeric_limits<double>::infinity();
  std::vector<double> s(rows.size());
  double m = -std::numeric_limits<double>::infinity();
  for (std::size_t t = 0; t < rows.size(); ++t) {
    const bf16_bits* kr = k + rows[t] * head_dim;
    double dot = 0.0;
    for (int d = 0; d < head_dim; ++d) dot += double{bf16_to_float(q[d])} * double{bf16_to_float(kr[d])};
    s[t] = dot * scale;
    m = std::max(m, s[t]);
  }
  double l = 0.0;
  for (std::size_t t = 0; t < rows.size(); ++t) {
    const double p = std::exp(s[t] - m);
    l += p;
    const bf16_bits* vr = v + rows[t] * head_dim;
    for (int d = 0; d < head_dim; ++d) out[d] += p * double{bf16_to_float(vr[d])};
  }
  for (int d = 0; d < head_dim; ++d) out[d] /= l;
  return m + std::log(l);
}

namespace {

// Runs attend_ref for every q head with the rows that rows_of(request, segment) returns.
template <class RowsOf>
void attention_over(const bf16_bits* q, const CacheRef& c, int group, double scale, RowsOf rows_of,
                    std::vector<double>& out, std::vector<double>& lse) {
  const int heads = c.num_kv_heads * group;
  out.assign(static_cast<std::size_t>(c.num_requests) * heads * c.head_dim, 0.0);
  lse.assign(static_cast<std::size_t>(c.num_requests) * heads, 0.0);
  std::vector<int64_t> rows;
  for (int b = 0; b < c.num_requests; ++b) {
    for (int kvh = 0; kvh < c.num_kv_heads; ++kvh) {
      const int seg = b * c.num_kv_heads + kvh;
      rows.clear();
      rows_of(b, seg, rows);
      for (int g = 0; g < group; ++g) {
        const std::size_t h = static_cast<std::size_t>(b) * heads + kvh * group + g;
        lse[h] = attend_ref(q + h * c.head_dim, c.k, c.v, rows, c.head_dim, scale, out.data() + h * c.head_dim);
      }
    }
  }
}

}  // namespace

void decode_attention_ref(const bf16_bits* q, const CacheRef& c, int group, double scale, std::vector<double>& out,
                          std::vector<double>& lse) {
  attention_over(
      q, c, group, scale,
      [&](int, int seg, std::vector<int64_t>& rows) {
        for (int32_t t = 0; t < c.length[seg]; ++t) rows.push_back(c.offset[seg] + t);
      },
      out, lse);
}

void avl_sparse_attention_ref(const bf16_bits* q, const CacheRef& c, int group, double scale,
                              std::span<const AvlRequest> requests, std::span<const int32_t> core_idx,
                              std::vector<double>& out, std::vector<double>& lse) {
  attention_over(
      q, c, group, scale,
      [&](int b, int seg, std::vector<int64_t>& rows) {
        const AvlRequest& r = requests[b];
        const int64_t base = c.offset[seg];
        for (int32_t t = 0; t < r.prefix_len; ++t) rows.push_back(base + t);
        for (int32_t i = 0; i < r.num_core; ++i) rows.push_back(base + r.prefix_len + core_idx[r.core_offset + i]);
        for (int32_t t = r.prefix_len + r.num_secondary; t < c.length[seg]; ++t) rows.push_back(base + t);
      },
      out, lse);
}

void avl_image_scores_ref(const bf16_bits* q, const CacheRef& c, int group, double scale,
                          std::span<const AvlRequest> requests, int score_stride, std::vector<double>& scores) {
  std::vector<double> out, lse;
  decode_attention_ref(q, c, group, scale, out, lse);
  const int heads = c.num_kv_heads * group;
  const int D = c.head_dim;
  scores.assign(static_cast<std::size_t>(c.num_requests) * score_stride, 0.0);
  for (int b = 0; b < c.num_requests; ++b) {
    const AvlRequest& r = requests[b];
    for (int i = 0; i < r.num_secondary; ++i) {
      double total = 0.0;
      for (int kvh = 0; kvh < c.num_kv_heads; ++kvh) {
        const int seg = b * c.num_kv_heads + kvh;
        const bf16_bits* kr = c.k + (c.offset[seg] + r.prefix_len + i) * D;
        for (int g = 0; g < group; ++g) {
          const std::size_t h = static_cast<std::size_t>(b) * heads + kvh * group + g;
          double dot = 0.0;
          for (int d = 0; d < D; ++d) dot += double{bf16_to_float(q[h * D + d])} * double{bf16_to_float(kr[d])};
          total += std::exp(dot * scale - lse[h]);
        }
      }
      scores[static_cast<std::size_t>(b) * score_stride + i] = total / heads;
    }
  }
}

}  // namespace kvsim::kernels::ref
