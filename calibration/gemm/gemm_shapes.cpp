// See gemm_shapes.h.
#include "calibration/gemm/gemm_shapes.h"

#include <algorithm>
#include <set>
#include <utility>

#include "sim/model/model_spec.h"

namespace kvsim::calib {

std::vector<GemmShape> gemm_shapes() {
  std::vector<GemmShape> out;
  std::set<std::pair<int64_t, int64_t>> seen;
  auto add = [&](int64_t n, int64_t k, int64_t max_m, std::string label) {
    if (n <= 0 || k <= 0 || !seen.insert({n, k}).second) return;
    out.push_back({n, k, max_m, std::move(label)});
  };
  const int tps[] = {1, 2, 4, 8};
  for (const std::string& name : model_preset_names()) {
    const ModelSpec m = *model_preset(name);
    const int g = m.group_size(), hd = m.head_dim;
    std::set<int> heads;
    for (int h = 1; h <= std::min(m.kv_heads, 8); ++h) heads.insert(h);
    for (int tp : tps)
      if (m.kv_heads % tp == 0) heads.insert(m.kv_heads / tp);
    for (int h : heads) {
      add(static_cast<int64_t>(h) * (g + 2) * hd, m.hidden, 16384, name + " qkv h=" + std::to_string(h));
      add(m.hidden, static_cast<int64_t>(h) * g * hd, 16384, name + " o h=" + std::to_string(h));
    }
    for (int tp : tps) {
      add(2LL * m.ffn / tp, m.hidden, 16384, name + " gate_up tp=" + std::to_string(tp));
      add(m.hidden, m.ffn / tp, 16384, name + " down tp=" + std::to_string(tp));
      // LM head rows are the requests emitting a token in a step: a batch, not a prompt.
      add(m.vocab / tp, m.hidden, 4096, name + " lm_head tp=" + std::to_string(tp));
    }
  }
  return out;
}

}  // namespace kvsim::calib
