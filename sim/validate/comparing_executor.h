// ComparingExecutor: runs each step with the measuring executor (its times drive the run) and prices
// the same StepPlan with the predicting executor, keeping both as a StepPair.
//   ComparingExecutor ex(std::move(cuda), std::move(calibrated));  // then hand it to simulate()
#pragma once

#include <memory>
#include <vector>

#include "sim/executor/step_executor.h"
#include "sim/validate/step_pair.h"

namespace kvsim {

class ComparingExecutor final : public StepExecutor {
 public:
  // `pairs` outlives the executor (simulate() owns the executor; the caller keeps the pairs).
  ComparingExecutor(std::unique_ptr<StepExecutor> measured, std::unique_ptr<StepExecutor> predicted,
                    std::vector<StepPair>& pairs);
  std::string_view name() const override { return measured_->name(); }
  void time_step(const StepPlan& plan, StepTiming& out) override;
  nlohmann::json notes() const override;

 private:
  std::unique_ptr<StepExecutor> measured_, predicted_;
  std::vector<StepPair>& pairs_;
  StepTiming shadow_;
};

}  // namespace kvsim
