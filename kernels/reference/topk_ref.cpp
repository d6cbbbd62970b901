// CPU reference of top-k (see topk_ref.h).
#include "kernels/reference/topk_ref.h"

#include <algorithm>
#include <numeric>

namespace kvsim::kernels::ref {

std::vector<int32_t> topk_ref(std::span<const float> scores, int k) {
  const int n = static_cast<int>(scores.size());
  k = std::clamp(k, 0, n);
  std::vector<int32_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
  order.resize(static_cast<std::size_t>(k));
  std::sort(order.begin(), order.end());
  return order;
}

}  // namespace kvsim::kernels::ref
