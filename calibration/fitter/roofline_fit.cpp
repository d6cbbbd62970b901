// See roofline_fit.h.
#include "calibration/fitter/roofline_fit.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace kvsim::calib {
namespace {

// Solves the n x n system a x = b (n <= 3) by Gaussian elimination with partial pivoting.
bool solve(std::array<std::array<double, 3>, 3> a, std::array<double, 3> b, int n, std::array<double, 3>& x) {
  for (int c = 0; c < n; ++c) {
    int p = c;
    for (int r = c + 1; r < n; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[p][c])) p = r;
    if (std::fabs(a[p][c]) < 1e-14) return false;
    std::swap(a[c], a[p]);
    std::swap(b[c], b[p]);
    for (int r = c + 1; r < n; ++r) {
      const double f = a[r][c] / a[c][c];
      for (int k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  for (int c = n - 1; c >= 0; --c) {
    double s = b[c];
    for (int k = c + 1; k < n; ++k) s -= a[c][k] * x[k];
    x[c] = s / a[c][c];
  }
  return true;
}

}  // namespace

Roofline fit_roofline(const std::vector<FitPoint>& points) {
  // Columns: 1, bytes, flops, each divided by t (relative residuals) and scaled to a max of 1.
  std::array<double, 3> scale{1, 0, 0};
  for (const FitPoint& p : points) {
    scale[1] = std::max(scale[1], p.features.bytes);
    scale[2] = std::max(scale[2], p.features.flops);
  }
  auto row = [&](const FitPoint& p) {
    return std::array<double, 3>{1.0 / p.seconds, scale[1] > 0 ? p.features.bytes / scale[1] / p.seconds : 0.0,
                                 scale[2] > 0 ? p.features.flops / scale[2] / p.seconds : 0.0};
  };
  double best_obj = std::numeric_limits<double>::infinity();
  std::array<double, 3> best{0, 0, 0};
  for (int mask = 1; mask < 8; ++mask) {
    std::array<int, 3> cols{};
    int n = 0;
    for (int c = 0; c < 3; ++c)
      if ((mask >> c & 1) && (c == 0 || scale[c] > 0)) cols[n++] = c;
    if (n == 0) continue;
    std::array<std::array<double, 3>, 3> ata{};
    std::array<double, 3> atb{};
    for (const FitPoint& p : points) {
      const auto r = row(p);
      for (int i = 0; i < n; ++i) {
        atb[i] += r[cols[i]] * 1.0;  // target: t / t = 1
        for (int j = 0; j < n; ++j) ata[i][j] += r[cols[i]] * r[cols[j]];
      }
    }
    std::array<double, 3> sol{};
    if (!solve(ata, atb, n, sol)) continue;
    std::array<double, 3> coef{0, 0, 0};
    bool feasible = true;
    for (int i = 0; i < n; ++i) {
      if (sol[i] < 0) feasible = false;
      coef[cols[i]] = sol[i];
    }
    if (!feasible) continue;
    double obj = 0;
    for (const FitPoint& p : points) {
      const auto r = row(p);
      const double e = r[0] * coef[0] + r[1] * coef[1] + r[2] * coef[2] - 1.0;
      obj += e * e;
    }
    if (obj < best_obj) {
      best_obj = obj;
      best = coef;
    }
  }
  Roofline r;
  r.overhead_s = best[0];
  r.bytes_per_s = best[1] > 0 ? scale[1] / best[1] : 0.0;
  r.flops_per_s = best[2] > 0 ? scale[2] / best[2] : 0.0;
  return r;
}

LooStats error_stats(std::vector<double> e) {
  LooStats s;
  s.points = static_cast<int>(e.size());
  if (e.empty()) return s;
  std::sort(e.begin(), e.end());
  auto q = [&](double f) {  // linear interpolation between order statistics
    const double pos = f * static_cast<double>(e.size() - 1);
    const std::size_t lo = static_cast<std::size_t>(pos);
    const std::size_t hi = std::min(lo + 1, e.size() - 1);
    return e[lo] + (pos - static_cast<double>(lo)) * (e[hi] - e[lo]);
  };
  s.median = q(0.5);
  s.p90 = q(0.9);
  s.max = e.back();
  return s;
}

}  // namespace kvsim::calib
