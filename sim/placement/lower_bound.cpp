// lower_bound_cost: a provable lower bound on the objective of any placement of a class, so that
// every report can say how far a placement is from the best possible (derivation in placement.h).
#include <algorithm>
#include <functional>
#include <stdexcept>

#include "sim/placement/placement.h"

namespace kvsim {

double lower_bound_cost(const ModelSpec& model, int gpus, const std::vector<double>& head_load,
                        PlacementClass cls, double k) {
  const int H = model.kv_heads, G = gpus;
  if (G < 1) throw std::invalid_argument("lower_bound_cost: gpus must be >= 1");
  if (head_load.size() != static_cast<std::size_t>(model.layers) * H)
    throw std::invalid_argument("lower_bound_cost: head_load must have layers * kv_heads values");
  double total_bound = 0;
  std::vector<double> w(H);
  for (int l = 0; l < model.layers; ++l) {
    std::copy_n(head_load.begin() + static_cast<std::ptrdiff_t>(l) * H, H, w.begin());
    std::sort(w.begin(), w.end(), std::greater<>());
    double layer_total = 0;
    for (double v : w) layer_total += v;
    // Every head has >= 1 copy, so the GPUs together carry >= W + k*H; some GPU holds a copy.
    double bound = std::max((layer_total + k * H) / G, k);
    if (cls == PlacementClass::without_copying) {
      bound = std::max(bound, w[0] + k);  // the heaviest head sits whole on one GPU
      if (H > G) {
        const int q = (H + G - 1) / G;  // pigeonhole: some GPU holds q heads, at least the q lightest
        double lightest = 0;
        for (int i = 0; i < q; ++i) lightest += w[H - 1 - i];
        bound = std::max(bound, lightest + q * k);
        bound = std::max(bound, w[G - 1] + w[G] + 2 * k);  // two of the G+1 heaviest share a GPU
      }
    }
    total_bound += bound;
  }
  return total_bound;
}

}  // namespace kvsim
