// Percentiles by linear interpolation between closest ranks (numpy's default "linear" method):
// for sorted x[0..n-1] and q in [0, 1], position q*(n-1), interpolated between its neighbours.
#pragma once

#include <vector>

namespace kvsim {

// Sorts `values` in place. Returns 0 for an empty vector.
double percentile(std::vector<double>& values, double q);

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, mean = 0;
  int count = 0;
};
Percentiles summarize(std::vector<double> values);

}  // namespace kvsim
