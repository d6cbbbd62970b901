// See validation_stats.h.
#include "sim/validate/validation_stats.h"

#include <cmath>

#include "sim/metrics/percentiles.h"

namespace kvsim {

nlohmann::json ErrorStats::to_json() const {
  return {{"steps", steps},
          {"median_abs_error", median_abs},
          {"p90_abs_error", p90_abs},
          {"mean_signed_error", mean_signed},
          {"median_measured_s", median_measured_s},
          {"median_predicted_s", median_predicted_s}};
}

ErrorStats step_error_stats(const std::vector<StepPair>& pairs, std::string_view kind) {
  std::vector<double> abs_errors, measured, predicted;
  double signed_sum = 0;
  for (const StepPair& p : pairs) {
    if (!kind.empty() && kind != p.kind()) continue;
    const double e = p.relative_error();
    abs_errors.push_back(std::fabs(e));
    measured.push_back(p.measured_s);
    predicted.push_back(p.predicted_s);
    signed_sum += e;
  }
  ErrorStats s;
  s.steps = abs_errors.size();
  if (s.steps == 0) return s;
  s.median_abs = percentile(abs_errors, 0.5);
  s.p90_abs = percentile(abs_errors, 0.9);
  s.mean_signed = signed_sum / static_cast<double>(s.steps);
  s.median_measured_s = percentile(measured, 0.5);
  s.median_predicted_s = percentile(predicted, 0.5);
  return s;
}

double relative_error(double predicted, double measured) {
  if (measured == 0) return predicted == 0 ? 0.0 : INFINITY;
  return (predicted - measured) / measured;
}

}  // namespace kvsim
