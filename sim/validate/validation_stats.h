// Error statistics of predicted against measured step times (relative to the measurement).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/validate/step_pair.h"

namespace kvsim {

struct ErrorStats {
  std::size_t steps = 0;
  double median_abs = 0;   // median of |predicted - measured| / measured
  double p90_abs = 0;      // 90th percentile of the same
  double mean_signed = 0;  // mean of (predicted - measured) / measured: > 0 predicts slow
  double median_measured_s = 0;
  double median_predicted_s = 0;
  nlohmann::json to_json() const;
};

// Over the pairs of one kind ("decode", "prefill", "mixed"), or all of them when kind is empty.
ErrorStats step_error_stats(const std::vector<StepPair>& pairs, std::string_view kind = {});

// (predicted - measured) / measured; 0 when both are 0.
double relative_error(double predicted, double measured);

}  // namespace kvsim
