// See percentiles.h.
#include "sim/metrics/percentiles.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kvsim {

double percentile(std::vector<double>& values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

Percentiles summarize(std::vector<double> values) {
  Percentiles p;
  p.count = static_cast<int>(values.size());
  if (values.empty()) return p;
  p.p50 = percentile(values, 0.50);
  p.p90 = percentile(values, 0.90);
  p.p99 = percentile(values, 0.99);
  p.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  return p;
}

}  // namespace kvsim
