// Shared by the placement algorithms: turning per-layer slots into a Placement, balancing whole-model
// per-GPU bytes by permuting each layer's slots over GPUs (which leaves every layer's cost unchanged),
// and memory accounting.
#include <algorithm>
#include <numeric>

#include "sim/placement/placement_detail.h"

namespace kvsim::placement_detail {

double slot_load(const Problem& p, int layer, const std::vector<Piece>& slot) {
  double s = 0;
  for (const Piece& piece : slot) s += piece.share * p.load(layer, piece.head);
  return s;
}

std::vector<std::vector<int>> balance_across_layers(const Problem& p, const std::vector<Slots>& layers) {
  const int L = static_cast<int>(layers.size()), G = p.gpus;
  // Bytes a slot adds to its GPU; with R = 0 balance as if one request so KV still counts.
  const double kv_bytes = std::max(p.concurrent_requests, 1.0) * static_cast<double>(p.model->kv_bytes_per_head_token());
  const double head_bytes = static_cast<double>(p.head_weight_bytes());
  std::vector<std::vector<double>> mass(L, std::vector<double>(G, 0.0));
  std::vector<double> spread(L, 0.0);
  for (int l = 0; l < L; ++l) {
    for (int s = 0; s < G; ++s)
      mass[l][s] = head_bytes * static_cast<double>(layers[l][s].size()) + kv_bytes * slot_load(p, l, layers[l][s]);
    const auto [lo, hi] = std::minmax_element(mass[l].begin(), mass[l].end());
    spread[l] = *hi - *lo;
  }
  std::vector<int> order(L);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return spread[a] > spread[b]; });

  std::vector<std::vector<int>> perm(L, std::vector<int>(G));
  std::vector<double> cum(G, 0.0);
  std::vector<int> slots(G), gpus(G);
  for (int l : order) {
    std::iota(slots.begin(), slots.end(), 0);
    std::iota(gpus.begin(), gpus.end(), 0);
    std::stable_sort(slots.begin(), slots.end(), [&](int a, int b) { return mass[l][a] > mass[l][b]; });
    std::stable_sort(gpus.begin(), gpus.end(), [&](int a, int b) { return cum[a] < cum[b]; });
    for (int i = 0; i < G; ++i) {
      perm[l][slots[i]] = gpus[i];
      cum[gpus[i]] += mass[l][slots[i]];
    }
  }
  // Local search: swap two GPUs' slots within a layer when that lowers the fuller of the two.
  std::vector<std::vector<int>> slot_on(L, std::vector<int>(G));
  for (int l = 0; l < L; ++l)
    for (int s = 0; s < G; ++s) slot_on[l][perm[l][s]] = s;
  for (int pass = 0; pass < 20; ++pass) {
    bool improved = false;
    for (int l = 0; l < L; ++l)
      for (int a = 0; a < G; ++a)
        for (int b = a + 1; b < G; ++b) {
          const double ma = mass[l][slot_on[l][a]], mb = mass[l][slot_on[l][b]];
          const double na = cum[a] - ma + mb, nb = cum[b] - mb + ma;
          if (std::max(na, nb) < std::max(cum[a], cum[b]) * (1 - 1e-12) - 1e-9) {
            cum[a] = na, cum[b] = nb;
            std::swap(slot_on[l][a], slot_on[l][b]);
            improved = true;
          }
        }
    if (!improved) break;
  }
  for (int l = 0; l < L; ++l)
    for (int g = 0; g < G; ++g) perm[l][slot_on[l][g]] = g;
  return perm;
}

Placement assemble(const Problem& p, const std::string& kind, const std::vector<Slots>& layers,
                   const std::vector<std::vector<int>>& perm) {
  Placement out;
  out.kind = kind, out.layers = p.layers(), out.kv_heads = p.heads(), out.gpus = p.gpus;
  out.copies.resize(static_cast<std::size_t>(p.layers()) * p.heads());
  for (int l = 0; l < p.layers(); ++l)
    for (int s = 0; s < static_cast<int>(layers[l].size()); ++s)
      for (const Piece& piece : layers[l][s])
        out.copies[static_cast<std::size_t>(l) * p.heads() + piece.head].push_back({perm[l][s], piece.share});
  for (auto& c : out.copies) {
    std::sort(c.begin(), c.end(), [](const HeadCopy& a, const HeadCopy& b) { return a.gpu < b.gpu; });
    // Shares sum to 1 exactly up to rounding: give the rounding to the largest copy.
    double sum = 0;
    for (const HeadCopy& hc : c) sum += hc.share;
    auto largest = std::max_element(c.begin(), c.end(),
                                    [](const HeadCopy& a, const HeadCopy& b) { return a.share < b.share; });
    largest->share = std::max(0.0, largest->share + (1.0 - sum));
  }
  return out;
}

std::vector<double> gpu_memory_bytes(const Problem& p, const Placement& placement) {
  const auto weights = placement.weight_bytes_per_gpu(*p.model);
  const auto load = placement.layer_gpu_load(*p.head_load);
  std::vector<double> bytes(p.gpus);
  for (int g = 0; g < p.gpus; ++g) {
    double tokens = 0;
    for (int l = 0; l < p.layers(); ++l) tokens += load[static_cast<std::size_t>(l) * p.gpus + g];
    bytes[g] = static_cast<double>(weights[g]) + p.kv_bytes_per_load() * tokens;
  }
  return bytes;
}

double fullest(const std::vector<double>& bytes) { return *std::max_element(bytes.begin(), bytes.end()); }

double memory_allowance(const Problem& p, const Placement& base) {
  if (p.memory_limit_bytes == std::numeric_limits<double>::infinity()) return p.memory_limit_bytes;
  return std::max(p.memory_limit_bytes, fullest(gpu_memory_bytes(p, base)));
}

}  // namespace kvsim::placement_detail
