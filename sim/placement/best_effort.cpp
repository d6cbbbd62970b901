// best_effort: FairKV's best-effort assignment. No copies; heads move between GPUs per layer.
//
// Objective, in order:
//  1. per layer, minimise max over GPUs of sum over its heads of (load + head_weight_tokens), so
//     that sum over layers (the decode attention time, placement_objective) is small. Method: LPT
//     (heaviest head first, onto the GPU with the least load in this layer; ties to the lower id),
//     which is within 4/3 of the per-layer optimum. With equal_heads each GPU takes floor(H/G) or
//     ceil(H/G) heads (exactly H/G when G divides H), so weights stay balanced.
//  2. whole-model balance: among the G! ways to put each layer's GPU sets onto physical GPUs (all of
//     equal layer cost), pick one that balances every GPU's total bytes (head weights + R * KV), which
//     is what decides the fullest GPU and so the batch size (balance_across_layers).
// With one kv head per GPU per layer (LLaMA-3-70B on 8 GPUs) step 1 cannot change any layer's max,
// and best_effort helps only memory; only copies (fair_copying, balanced_split) cut time there.
#include <algorithm>
#include <numeric>

#include "sim/placement/placement_detail.h"

namespace kvsim::placement_detail {
namespace {

Slots lpt_layer(const Problem& p, int layer) {
  const int H = p.heads(), G = p.gpus;
  std::vector<int> order(H);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p.load(layer, a) > p.load(layer, b); });
  const int floor_count = H / G;
  int ceil_slots_left = H % G;  // GPUs that may still take floor + 1 heads (equal_heads)
  std::vector<double> value(G, 0.0);
  std::vector<int> count(G, 0);
  Slots slots(G);
  for (int h : order) {
    int best = -1;
    for (int g = 0; g < G; ++g) {
      if (p.options.equal_heads && !(count[g] < floor_count || (count[g] == floor_count && ceil_slots_left > 0)))
        continue;
      if (best < 0 || value[g] < value[best]) best = g;
    }
    if (p.options.equal_heads && count[best] == floor_count) --ceil_slots_left;
    value[best] += p.load(layer, h) + p.k();
    ++count[best];
    slots[best].push_back({h, 1.0});
  }
  return slots;
}

}  // namespace

Placement best_effort(const Problem& p) {
  std::vector<Slots> layers(p.layers());
  for (int l = 0; l < p.layers(); ++l) layers[l] = lpt_layer(p, l);
  Placement out = assemble(p, "best_effort", layers, balance_across_layers(p, layers));
  out.search = {{"equal_heads", p.options.equal_heads}, {"head_weight_tokens", p.k()}};
  return out;
}

}  // namespace kvsim::placement_detail
