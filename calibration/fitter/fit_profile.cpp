// See fit_profile.h.
#include "calibration/fitter/fit_profile.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "calibration/fitter/roofline_fit.h"
#include "sim/scenario/json_reader.h"

namespace kvsim::calib {
namespace {

double seconds_of(const JsonReader& b) {
  if (b.has("seconds")) return b.number("seconds", 1e-12, 1e6);
  const double t = b.number("real_time", 1e-9, 1e15);
  const std::string unit = b.choice_or("time_unit", "ns", {"ns", "us", "ms", "s"});
  const double scale = unit == "ns" ? 1e-9 : unit == "us" ? 1e-6 : unit == "ms" ? 1e-3 : 1.0;
  return t * scale;
}

// Collapses repeated axis points of a 1-axis series to their geometric mean.
Series make_1d(std::vector<double> key, std::vector<std::pair<double, double>> xs) {
  std::sort(xs.begin(), xs.end());
  Series s;
  s.key = std::move(key);
  s.axes.resize(1);
  for (std::size_t i = 0; i < xs.size();) {
    std::size_t j = i;
    double log_sum = 0;
    while (j < xs.size() && xs[j].first == xs[i].first) log_sum += std::log(xs[j++].second);
    s.axes[0].push_back(xs[i].first);
    s.seconds.push_back(std::exp(log_sum / static_cast<double>(j - i)));
    i = j;
  }
  return s;
}

// The largest complete grid: repeatedly drops the row or column with the most missing cells.
Series make_2d(std::vector<double> key, const std::map<std::pair<double, double>, double>& cells) {
  std::set<double> a, b;
  for (const auto& [xy, t] : cells) {
    a.insert(xy.first);
    b.insert(xy.second);
  }
  for (;;) {
    std::map<double, int> miss_a, miss_b;
    int missing = 0;
    for (double x : a)
      for (double y : b)
        if (!cells.count({x, y})) {
          ++miss_a[x];
          ++miss_b[y];
          ++missing;
        }
    if (missing == 0) break;
    auto worst = [](const std::map<double, int>& m) {
      return std::max_element(m.begin(), m.end(), [](auto& l, auto& r) { return l.second < r.second; });
    };
    auto wa = worst(miss_a), wb = worst(miss_b);
    // Drop whichever line loses fewer measured cells per missing cell removed.
    if (wa->second * static_cast<int>(a.size()) >= wb->second * static_cast<int>(b.size()))
      a.erase(wa->first);
    else
      b.erase(wb->first);
  }
  Series s;
  s.key = std::move(key);
  s.axes = {std::vector<double>(a.begin(), a.end()), std::vector<double>(b.begin(), b.end())};
  for (double x : a)
    for (double y : b) s.seconds.push_back(cells.at({x, y}));
  return s;
}

std::array<double, 2> point_of(const Series& s, std::size_t i, std::size_t j) {
  return {s.axes[0][i], s.axes.size() == 2 ? s.axes[1][j] : 0.0};
}

// Series `s` without cell (i, j), reduced to the line through it along `axis`.
Series line_without(const Series& s, std::size_t i, std::size_t j, std::size_t axis) {
  Series r;
  r.key = s.key;
  if (s.axes.size() == 1) {
    r.axes = {{}};
    for (std::size_t a = 0; a < s.axes[0].size(); ++a)
      if (a != i) {
        r.axes[0].push_back(s.axes[0][a]);
        r.seconds.push_back(s.at(a, 0));
      }
    return r;
  }
  if (axis == 1) {
    r.axes = {{s.axes[0][i]}, {}};
    for (std::size_t b = 0; b < s.axes[1].size(); ++b)
      if (b != j) {
        r.axes[1].push_back(s.axes[1][b]);
        r.seconds.push_back(s.at(i, b));
      }
  } else {
    r.axes = {{}, {s.axes[1][j]}};
    for (std::size_t a = 0; a < s.axes[0].size(); ++a)
      if (a != i) {
        r.axes[0].push_back(s.axes[0][a]);
        r.seconds.push_back(s.at(a, j));
      }
  }
  return r;
}

double rel_err(double predicted, double measured) { return std::fabs(predicted - measured) / measured; }

nlohmann::json stats_json(const LooStats& s) {
  return {{"median", s.median}, {"p90", s.p90}, {"max", s.max}, {"points", s.points}};
}

}  // namespace

BenchmarkFile read_benchmark_json(const nlohmann::json& doc, const std::string& file) {
  const JsonReader root(doc, file, "");
  root.expect_object();
  BenchmarkFile out;
  if (root.has("context")) out.context = root.at("context").json();
  const JsonReader list = root.at("benchmarks");
  list.expect_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const JsonReader b = list.at(i);
    b.expect_object();
    const std::string name = b.string("name");
    if (b.boolean_or("error_occurred", false) || b.string_or("run_type", "iteration") != "iteration") {
      ++out.ignored;
      continue;
    }
    const std::string prefix = name.substr(0, name.find('/'));
    MeasuredPoint p;
    auto num = [&](const char* k) { return b.number(k, 1e-300, 1e300); };
    if (prefix == "gemm") {
      p.op = CalibratedOp::gemm;
      p.key = {num("n"), num("k")};
      p.x = {num("m"), 0};
    } else if (prefix == "decode") {
      p.op = CalibratedOp::decode_attention;
      p.key = {num("group"), num("head_dim")};
      p.x = {num("requests"), num("kv_tokens") / num("requests")};
      if (b.number_or("skew", 0, 0, 1e9) != 0) p.check = "skewed_lengths";
    } else if (prefix == "prefill") {
      p.op = CalibratedOp::prefill_attention;
      p.key = {num("group"), num("head_dim")};
      p.x = {num("pairs"), 0};
    } else if ((prefix == "kv_compress" || prefix == "avl_sparse") && !b.has("segments")) {
      // Runs before the two-axis grids (raw/run1..run3) swept these ops over bytes alone.
      ++out.ignored;
      continue;
    } else if (prefix == "kv_compress") {
      p.op = CalibratedOp::kv_compress;
      p.key = {num("group"), num("head_dim"), num("window"), num("wave_keys")};
      p.x = {num("segments"), num("prompt_tokens")};
    } else if (prefix == "avl_sparse") {
      p.op = CalibratedOp::avl_sparse;
      p.key = {num("group"), num("head_dim")};
      p.x = {num("segments"), num("kv_tokens") / num("segments")};
    } else if (prefix == "avl_refresh") {
      p.op = CalibratedOp::avl_refresh;
      p.key = {num("group"), num("head_dim")};
      p.x = {num("segments"), num("kv_tokens") / num("segments")};
      if (b.number_or("off_grid", 0, 0, 1e9) != 0) p.check = "other_kv_heads";
    } else if (prefix == "allreduce") {
      p.op = CalibratedOp::allreduce;
      p.key = {num("gpus")};
      p.x = {num("bytes"), 0};
    } else if (const OpSchema* s = find_op_schema(prefix); s != nullptr && s->key.empty()) {
      p.op = s->op;
      p.x = {num("bytes"), 0};
      p.shape = b.number_or("hidden", 0, 0, 1e12);
    } else {
      ++out.ignored;
      continue;
    }
    p.seconds = seconds_of(b);
    out.points.push_back(std::move(p));
  }
  return out;
}

std::vector<double> leave_one_out_errors(CalibratedOp op, const OpProfile& prof) {
  std::vector<double> errors;
  for (const Series& s : prof.series) {
    const std::size_t na = s.axes[0].size(), nb = s.axes.size() == 2 ? s.axes[1].size() : 1;
    for (std::size_t i = 0; i < na; ++i)
      for (std::size_t j = 0; j < nb; ++j)
        for (std::size_t axis = 0; axis < s.axes.size(); ++axis) {
          if ((axis == 0 ? na : nb) < 2) continue;  // nothing left to predict from on this line
          const Series rest = line_without(s, i, j, axis);
          errors.push_back(rel_err(predict(rest, op, prof.roofline, point_of(s, i, j)).seconds, s.at(i, j)));
        }
  }
  return errors;
}

CalibrationProfile fit_profile(const std::vector<MeasuredPoint>& points, const nlohmann::json& environment) {
  CalibrationProfile profile;
  profile.environment = environment;
  for (const OpSchema& schema : op_schemas()) {
    const CalibratedOp op = schema.op;
    std::map<std::vector<double>, std::vector<std::pair<double, double>>> one;
    std::map<std::vector<double>, std::map<std::pair<double, double>, double>> two;
    std::vector<FitPoint> fit;
    std::vector<const MeasuredPoint*> checks;
    std::map<double, int> shapes;  // key-less ops: points per shape
    for (const MeasuredPoint& p : points)
      if (p.op == op && p.check.empty() && schema.key.empty()) ++shapes[p.shape];
    double grid_shape = 0;
    int most = -1;
    for (const auto& [shape, n] : shapes)
      if (n > most) {
        most = n;
        grid_shape = shape;
      }
    std::vector<MeasuredPoint> other_shapes;
    for (const MeasuredPoint& p : points) {
      if (p.op != op) continue;
      if (p.check.empty() && schema.key.empty() && p.shape != grid_shape) {
        other_shapes.push_back(p);
        other_shapes.back().check = "other_shapes";
        continue;
      }
      if (!p.check.empty()) {
        checks.push_back(&p);
        continue;
      }
      fit.push_back({op_features(op, p.key, p.x), p.seconds});
      if (schema.axes.size() == 1)
        one[p.key].push_back({p.x[0], p.seconds});
      else
        two[p.key][{p.x[0], p.x[1]}] = p.seconds;
    }
    if (fit.empty()) continue;
    OpProfile prof;
    for (auto& [key, xs] : one) prof.series.push_back(make_1d(key, std::move(xs)));
    for (auto& [key, cells] : two) prof.series.push_back(make_2d(key, cells));
    prof.roofline = fit_roofline(fit);
    prof.loo = error_stats(leave_one_out_errors(op, prof));

    std::vector<double> roof_err;
    for (const FitPoint& f : fit) roof_err.push_back(rel_err(prof.roofline.seconds(f.features), f.seconds));
    prof.checks["roofline_only"] = stats_json(error_stats(roof_err));
    prof.checks["meets_target"] = meets_accuracy_target(prof.loo);
    for (const MeasuredPoint& p : other_shapes) checks.push_back(&p);
    std::map<std::string, std::vector<double>> named;
    for (const MeasuredPoint* p : checks) {
      const Series& s = prof.series[nearest_series(prof.series, p->key)];
      named[p->check].push_back(rel_err(predict(s, op, prof.roofline, p->x).seconds, p->seconds));
    }
    for (auto& [name, errs] : named) prof.checks[name] = stats_json(error_stats(errs));
    // How well a shape that was not measured is served: each series predicted from the nearest other.
    if (!schema.key.empty() && prof.series.size() > 1) {
      std::vector<double> errs;
      for (std::size_t a = 0; a < prof.series.size(); ++a) {
        std::vector<Series> others;
        for (std::size_t b = 0; b < prof.series.size(); ++b)
          if (b != a) others.push_back(prof.series[b]);
        const Series& s = prof.series[a];
        const Series& near = others[nearest_series(others, s.key)];
        for (std::size_t i = 0; i < s.axes[0].size(); ++i)
          for (std::size_t j = 0; j < (s.axes.size() == 2 ? s.axes[1].size() : 1); ++j) {
            const auto x = point_of(s, i, j);
            const double scale = prof.roofline.seconds(op_features(op, s.key, x)) /
                                 prof.roofline.seconds(op_features(op, near.key, x));
            errs.push_back(rel_err(predict(near, op, prof.roofline, x).seconds * scale, s.at(i, j)));
          }
      }
      prof.checks["unseen_shape"] = stats_json(error_stats(errs));
    }
    profile.op(op) = std::move(prof);
  }
  return profile;
}

}  // namespace kvsim::calib
