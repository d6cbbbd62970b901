// Fits the roofline t = overhead_s + bytes / bytes_per_s + flops / flops_per_s to measured points,
// minimising the sum of squared *relative* errors ((t_fit - t) / t)^2 with all three coefficients
// non-negative (a negative overhead or bandwidth means nothing). The objective is linear least
// squares in (overhead, 1 / bandwidth, 1 / peak), so the non-negative optimum is found exactly by
// solving every subset of active coefficients and keeping the best feasible one.
#pragma once

#include <vector>

#include "sim/executor/calibration_profile.h"

namespace kvsim::calib {

struct FitPoint {
  RooflineFeatures features;
  double seconds = 0;
};

Roofline fit_roofline(const std::vector<FitPoint>& points);

// |predicted - measured| / measured statistics of a list of relative errors.
LooStats error_stats(std::vector<double> rel_errors);

}  // namespace kvsim::calib
