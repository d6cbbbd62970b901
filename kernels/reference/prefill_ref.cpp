// See prefill_ref.h.
#include "kernels/reference/prefill_ref.h"

#include <algorithm>

namespace kvsim::kernels::ref {

void prefill_attention_ref(const bf16_bits* q, std::span<const int32_t> cu_q, std::span<const int32_t> q_start,
                           const CacheRef& cache, int group, double scale, std::vector<double>& out,
                           std::vector<double>& lse) {
  const int H = cache.num_kv_heads, QH = H * group, D = cache.head_dim;
  const int64_t total = cu_q[static_cast<std::size_t>(cache.num_requests)];
  out.assign(static_cast<std::size_t>(total * QH * D), 0.0);
  lse.assign(static_cast<std::size_t>(total * QH), 0.0);
  std::vector<int64_t> rows;
  for (int r = 0; r < cache.num_requests; ++r)
    for (int64_t t = cu_q[static_cast<std::size_t>(r)]; t < cu_q[static_cast<std::size_t>(r) + 1]; ++t) {
      const int64_t pos = q_start[static_cast<std::size_t>(r)] + (t - cu_q[static_cast<std::size_t>(r)]);
      for (int qh = 0; qh < QH; ++qh) {
        const int seg = r * H + qh / group;
        const int64_t n = std::min<int64_t>(cache.length[static_cast<std::size_t>(seg)], pos + 1);
        rows.clear();
        for (int64_t j = 0; j < n; ++j) rows.push_back(cache.offset[static_cast<std::size_t>(seg)] + j);
        const std::size_t at = static_cast<std::size_t>(t * QH + qh);
        lse[at] = attend_ref(q + at * D, cache.k, cache.v, rows, D, scale, out.data() + at * D);
      }
    }
}

}  // namespace kvsim::kernels::ref
