// See calibrated_costs.h.
#include "sim/executor/calibrated_costs.h"

#include <cmath>
#include <cstdio>

#include "sim/executor/roofline_costs.h"

namespace kvsim {
namespace {

constexpr std::size_t kExamples = 5;

std::string describe_point(CalibratedOp op, const std::array<double, 2>& key, const std::array<double, 2>& x) {
  const OpSchema& s = op_schema(op);
  std::string out;
  char buf[64];
  for (std::size_t i = 0; i < s.key.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s=%g ", std::string(s.key[i]).c_str(), key[i]);
    out += buf;
  }
  for (std::size_t i = 0; i < s.axes.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s=%g ", std::string(s.axes[i]).c_str(), x[i]);
    out += buf;
  }
  if (!out.empty()) out.pop_back();
  return out;
}

const char* reason_text(int r) {
  switch (r) {
    case 0: return "shape not measured: nearest measured shape scaled by the fitted roofline";
    case 1: return "outside the measured grid: edge of the grid scaled by the fitted roofline";
    case 3: return "profile has no avl_sparse: A-VL's sparse decode priced as dense decode attention";
    case 4: return "profile has no avl_refresh: A-VL's refresh scoring priced as elementwise traffic of the K rows it reads";
    default: return "profile has no all-reduce: datasheet ring model of the scenario's GPU";
  }
}

std::vector<double> as_vector(CalibratedOp op, const std::array<double, 2>& key) {
  return std::vector<double>(key.begin(), key.begin() + static_cast<long>(op_schema(op).key.size()));
}

}  // namespace

CalibratedCosts::CalibratedCosts(CalibrationProfile profile, GpuSpec gpu)
    : profile_(std::move(profile)), gpu_(std::move(gpu)) {}

template <class Describe>
void CalibratedCosts::note(CalibratedOp op, Reason reason, Describe&& describe) const {
  Fallbacks& f = fallbacks_[{static_cast<int>(op), static_cast<int>(reason)}];
  ++f.count;
  if (f.examples.size() < kExamples) f.examples.push_back(describe());
}

const CalibratedCosts::CachedKey& CalibratedCosts::series_for(CalibratedOp op, const std::array<double, 2>& key) const {
  for (const CachedKey& c : cache_)
    if (c.op == static_cast<int>(op) && c.key == key) return c;
  const auto& series = profile_.op(op)->series;
  const std::vector<double> k = as_vector(op, key);
  const std::size_t i = nearest_series(series, k);
  bool exact = true;
  for (std::size_t j = 0; j < k.size(); ++j)
    exact = exact && std::fabs(series[i].key[j] - k[j]) <= 1e-9 * std::max(1.0, std::fabs(k[j]));
  cache_.push_back({static_cast<int>(op), key, i, exact});
  return cache_.back();
}

double CalibratedCosts::evaluate(CalibratedOp op, const std::array<double, 2>& key, const std::array<double, 2>& x) const {
  const OpProfile& prof = *profile_.op(op);
  ++calls_;
  const CachedKey& c = series_for(op, key);
  const Series& series = prof.series[c.series];
  const Prediction p = predict(series, op, prof.roofline, x);
  double seconds = p.seconds;
  if (!c.exact) {
    // The same axis point on the nearest measured shape, scaled by the roofline ratio of the shapes.
    const double here = prof.roofline.seconds(op_features(op, as_vector(op, key), x));
    const double there = prof.roofline.seconds(op_features(op, series.key, x));
    if (here > 0 && there > 0) seconds *= here / there;
    note(op, kShape, [&] {
      std::array<double, 2> from{};
      for (std::size_t j = 0; j < series.key.size(); ++j) from[j] = series.key[j];
      return describe_point(op, key, x) + " <- measured " + describe_point(op, from, x);
    });
  }
  if (p.extrapolated) note(op, kGrid, [&] { return describe_point(op, key, x); });
  return seconds;
}

double CalibratedCosts::gemm_s(double m, double n, double k) const {
  if (m <= 0) return 0.0;
  return evaluate(CalibratedOp::gemm, {n, k}, {m, 0.0});
}

double CalibratedCosts::decode_attention_s(double kv_tokens, int requests, int group, int head_dim) const {
  if (kv_tokens <= 0 || requests <= 0) return 0.0;
  return evaluate(CalibratedOp::decode_attention, {static_cast<double>(group), static_cast<double>(head_dim)},
                  {static_cast<double>(requests), kv_tokens / requests});
}

double CalibratedCosts::sparse_decode_attention_s(double kv_tokens, double segments, int requests, int group,
                                                  int head_dim) const {
  if (kv_tokens <= 0 || segments <= 0) return 0.0;
  if (!profile_.op(CalibratedOp::avl_sparse)) {
    note(CalibratedOp::avl_sparse, kNoSparse, [&] {
      return describe_point(CalibratedOp::avl_sparse, {static_cast<double>(group), static_cast<double>(head_dim)},
                            {segments, kv_tokens / segments});
    });
    return decode_attention_s(kv_tokens, requests, group, head_dim);
  }
  return evaluate(CalibratedOp::avl_sparse, {static_cast<double>(group), static_cast<double>(head_dim)},
                  {segments, kv_tokens / segments});
}

double CalibratedCosts::avl_refresh_s(double tokens, double segments, int group, int head_dim) const {
  if (tokens <= 0 || segments <= 0) return 0.0;
  const std::array<double, 2> key{static_cast<double>(group), static_cast<double>(head_dim)};
  if (!profile_.op(CalibratedOp::avl_refresh)) {
    note(CalibratedOp::avl_refresh, kNoRefresh,
         [&] { return describe_point(CalibratedOp::avl_refresh, key, {segments, tokens / segments}); });
    return elementwise_s(tokens * head_dim * 2.0);
  }
  return evaluate(CalibratedOp::avl_refresh, key, {segments, tokens / segments});
}

double CalibratedCosts::prefill_attention_s(double pairs, int group, int head_dim) const {
  if (pairs <= 0) return 0.0;
  return evaluate(CalibratedOp::prefill_attention, {static_cast<double>(group), static_cast<double>(head_dim)},
                  {pairs, 0.0});
}

double CalibratedCosts::allreduce_s(double bytes, int gpus) const {
  if (gpus <= 1 || bytes <= 0) return 0.0;
  if (!profile_.op(CalibratedOp::allreduce)) {
    ++calls_;
    note(CalibratedOp::allreduce, kNoAllreduce,
         [&] { return describe_point(CalibratedOp::allreduce, {static_cast<double>(gpus), 0}, {bytes, 0}) + " (" + gpu_.name + ")"; });
    return RooflineCosts(gpu_).allreduce_s(bytes, gpus);
  }
  return evaluate(CalibratedOp::allreduce, {static_cast<double>(gpus), 0.0}, {bytes, 0.0});
}

double CalibratedCosts::elementwise_s(double bytes) const {
  if (bytes <= 0) return 0.0;
  return evaluate(CalibratedOp::elementwise, {0.0, 0.0}, {bytes, 0.0});
}

nlohmann::json CalibratedCosts::notes() const {
  nlohmann::json fb = nlohmann::json::array();
  for (const auto& [k, f] : fallbacks_)
    fb.push_back({{"op", std::string(op_schema(static_cast<CalibratedOp>(k.first)).name)},
                  {"reason", reason_text(k.second)},
                  {"calls", f.count},
                  {"examples", f.examples}});
  return {{"profile", profile_.file}, {"profile_environment", profile_.environment}, {"op_calls", calls_},
          {"fallbacks", fb}};
}

}  // namespace kvsim
