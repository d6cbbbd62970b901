// See comparing_executor.h.
#include "sim/validate/comparing_executor.h"

#include <algorithm>

namespace kvsim {

ComparingExecutor::ComparingExecutor(std::unique_ptr<StepExecutor> measured, std::unique_ptr<StepExecutor> predicted,
                                     std::vector<StepPair>& pairs)
    : measured_(std::move(measured)), predicted_(std::move(predicted)), pairs_(pairs) {}

void ComparingExecutor::time_step(const StepPlan& plan, StepTiming& out) {
  StepPlan priced = plan;
  priced.want_trace = false;
  predicted_->time_step(priced, shadow_);
  measured_->time_step(plan, out);
  StepPair pair{.step = static_cast<std::int64_t>(pairs_.size()), .decode_requests = plan.decode_requests,
                .prefill_tokens = plan.prefill_tokens, .predicted_s = shadow_.step_s, .measured_s = out.step_s};
  // The GPU whose measured phases add up to the most: the one the step waited for.
  const std::size_t gpus = out.phase_s.size() / kPhaseCount;
  std::size_t slowest = 0;
  double most = -1;
  for (std::size_t g = 0; g < gpus; ++g) {
    double sum = 0;
    for (int p = 0; p < kPhaseCount; ++p) sum += out.phase_s[g * kPhaseCount + p];
    if (sum > most) most = sum, slowest = g;
  }
  for (int p = 0; p < kPhaseCount; ++p) {
    const std::size_t i = slowest * kPhaseCount + static_cast<std::size_t>(p);
    if (i < out.phase_s.size()) pair.measured_phase_s[static_cast<std::size_t>(p)] = out.phase_s[i];
    if (i < shadow_.phase_s.size()) pair.predicted_phase_s[static_cast<std::size_t>(p)] = shadow_.phase_s[i];
  }
  pairs_.push_back(pair);
}

nlohmann::json ComparingExecutor::notes() const {
  nlohmann::json n = measured_->notes();
  n["predicted_by"] = std::string(predicted_->name());
  n["predictor_notes"] = predicted_->notes();
  return n;
}

}  // namespace kvsim
