// See cost_model.h.
#include "sim/executor/cost_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace kvsim {

const std::vector<OpSchema>& op_schemas() {
  static const std::vector<OpSchema> table = {
      {CalibratedOp::gemm, "gemm", {"n", "k"}, {"m"}, true},
      {CalibratedOp::decode_attention, "decode_attention", {"group", "head_dim"}, {"requests", "tokens_per_request"}, true},
      {CalibratedOp::prefill_attention, "prefill_attention", {"group", "head_dim"}, {"pairs"}, true},
      {CalibratedOp::allreduce, "allreduce", {"gpus"}, {"bytes"}, false},
      {CalibratedOp::elementwise, "elementwise", {}, {"bytes"}, true},
      {CalibratedOp::rmsnorm, "rmsnorm", {}, {"bytes"}, false},
      {CalibratedOp::rope, "rope", {}, {"bytes"}, false},
      {CalibratedOp::silu_mul, "silu_mul", {}, {"bytes"}, false},
      {CalibratedOp::kv_append, "kv_append", {}, {"bytes"}, false},
      {CalibratedOp::kv_compress, "kv_compress", {"group", "head_dim", "window", "wave_keys"}, {"segments", "prompt_tokens"}, false},
      {CalibratedOp::avl_sparse, "avl_sparse", {"group", "head_dim"}, {"segments", "tokens_per_segment"}, false},
      {CalibratedOp::avl_refresh, "avl_refresh", {"group", "head_dim"}, {"segments", "tokens_per_segment"}, false},
  };
  return table;
}

const OpSchema& op_schema(CalibratedOp op) { return op_schemas()[static_cast<std::size_t>(op)]; }

const OpSchema* find_op_schema(std::string_view name) {
  for (const OpSchema& s : op_schemas())
    if (s.name == name) return &s;
  return nullptr;
}

RooflineFeatures op_features(CalibratedOp op, const std::vector<double>& key, const std::array<double, 2>& x) {
  switch (op) {
    case CalibratedOp::gemm: {
      const double m = x[0], n = key[0], k = key[1];
      return {2.0 * (m * k + n * k + m * n), 2.0 * m * n * k};
    }
    case CalibratedOp::decode_attention: {
      const double kv = x[0] * x[1], group = key[0], hd = key[1];
      return {kv * 2.0 * hd * 2.0, kv * 4.0 * hd * group};  // K and V rows; q.k and p.v per q head
    }
    case CalibratedOp::prefill_attention: {
      const double group = key[0], hd = key[1];
      return {0.0, x[0] * 4.0 * hd * group};
    }
    case CalibratedOp::kv_compress: {
      // Window scores read every prompt K row twice (two passes) and dot it with group x window
      // query rows in each; the compaction copies the kept K and V rows (at most the prompt). The
      // scoring passes run in whole waves of `wave_keys` keys (resident CTAs x keys per CTA), each
      // one CTA's latency long, so their FLOPs count the last wave whole: the time steps with
      // ceil(keys / wave_keys) and is flat below one wave.
      const double rows = x[0] * x[1], group = key[0], hd = key[1], window = key[2], wave = key[3];
      const double padded = wave > 0 ? std::ceil(rows / wave * (1 - 1e-12)) * wave : rows;
      return {rows * hd * 2.0 * 4.0, padded * 4.0 * hd * group * window};
    }
    case CalibratedOp::avl_sparse: {
      const double kv = x[0] * x[1], group = key[0], hd = key[1];
      return {kv * 2.0 * hd * 2.0, kv * 4.0 * hd * group};  // as decode, over the attended rows
    }
    case CalibratedOp::avl_refresh: {
      const double rows = x[0] * x[1], group = key[0], hd = key[1];
      return {rows * hd * 2.0, rows * 2.0 * hd * group};  // each scored image token's K row; q.k per q head
    }
    case CalibratedOp::allreduce: {
      const double n = key[0];
      return {2.0 * (n - 1.0) / n * x[0], 0.0};  // a ring moves 2(n-1)/n of the buffer per GPU
    }
    default:
      return {x[0], 0.0};
  }
}

namespace {

// Position of `v` on ascending `axis`: lower index and weight of the upper one, after clamping.
struct Bracket {
  std::size_t lo = 0;
  double w = 0;
  double clamped = 0;
  bool outside = false;
};

Bracket bracket(const std::vector<double>& axis, double v) {
  Bracket b;
  if (axis.size() == 1 || v <= axis.front()) {
    b.clamped = axis.front();
    b.outside = v < axis.front() * (1 - 1e-12) || (axis.size() == 1 && v > axis.front() * (1 + 1e-12));
    if (axis.size() == 1) b.clamped = axis.front();
    return b;
  }
  if (v >= axis.back()) {
    b.lo = axis.size() - 2;
    b.w = 1;
    b.clamped = axis.back();
    b.outside = v > axis.back() * (1 + 1e-12);
    return b;
  }
  const auto it = std::upper_bound(axis.begin(), axis.end(), v);
  b.lo = static_cast<std::size_t>(it - axis.begin()) - 1;
  b.w = (std::log(v) - std::log(axis[b.lo])) / (std::log(axis[b.lo + 1]) - std::log(axis[b.lo]));
  b.clamped = v;
  return b;
}

}  // namespace

Prediction predict(const Series& s, CalibratedOp op, const Roofline& roof, const std::array<double, 2>& x) {
  if (s.axes.empty() || s.axes.size() > 2) throw std::logic_error("cost model: a series has 1 or 2 axes");
  const bool two = s.axes.size() == 2;
  const Bracket b0 = bracket(s.axes[0], x[0]);
  const Bracket b1 = two ? bracket(s.axes[1], x[1]) : Bracket{};
  // What is interpolated is log(measured / roofline): the roofline carries the shape of the curve
  // (flat under the launch overhead, then linear in bytes or FLOPs) and the ratio varies slowly, so
  // interpolation between grid points and extrapolation past the edge both follow the roofline.
  // The grid points themselves are reproduced exactly. A roofline of zero falls back to raw times.
  auto roof_at = [&](double a, double b) { return roof.seconds(op_features(op, s.key, {a, b})); };
  const bool use_roof = roof_at(x[0], two ? x[1] : 0.0) > 0;
  auto lr = [&](std::size_t i, std::size_t j) {
    const double r = use_roof ? roof_at(s.axes[0][i], two ? s.axes[1][j] : 0.0) : 1.0;
    return std::log(s.at(i, j) / (r > 0 ? r : 1.0));
  };
  double log_ratio;
  const std::size_t i1 = std::min(b0.lo + 1, s.axes[0].size() - 1);
  if (!two) {
    log_ratio = (1 - b0.w) * lr(b0.lo, 0) + b0.w * lr(i1, 0);
  } else {
    const std::size_t j1 = std::min(b1.lo + 1, s.axes[1].size() - 1);
    log_ratio = (1 - b0.w) * ((1 - b1.w) * lr(b0.lo, b1.lo) + b1.w * lr(b0.lo, j1)) +
                b0.w * ((1 - b1.w) * lr(i1, b1.lo) + b1.w * lr(i1, j1));
  }
  const double base = use_roof ? roof_at(x[0], two ? x[1] : 0.0) : 1.0;
  if (!use_roof && (b0.outside || b1.outside)) {
    // No roofline to scale by: the edge value itself (documented as a clamp).
  }
  return {base * std::exp(log_ratio), b0.outside || b1.outside};
}

std::size_t nearest_series(const std::vector<Series>& series, const std::vector<double>& key) {
  std::size_t best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < series.size(); ++i) {
    double d = 0;
    for (std::size_t j = 0; j < key.size(); ++j) {
      const double a = std::log(std::max(key[j], 1e-300)), b = std::log(std::max(series[i].key[j], 1e-300));
      d += (a - b) * (a - b);
    }
    if (d < best_d) {
      best_d = d;
      best = i;
    }
  }
  return best;
}

}  // namespace kvsim
