// TpStepComposer: a StepExecutor that builds a tensor-parallel step from per-op costs.
// Per layer: every GPU runs QKV GEMM + attention + O-proj for the heads it holds; all-reduce (the
// barrier: it starts when the slowest GPU is done); every GPU runs its MLP shard; all-reduce. After
// the last layer, the LM head (vocabulary split over GPUs) for the rows that emit a token.
// Cost per step is O(layers x GPUs), independent of the number of requests and heads.
#pragma once

#include <memory>

#include "sim/executor/op_costs.h"
#include "sim/executor/step_executor.h"

namespace kvsim {

class TpStepComposer final : public StepExecutor {
 public:
  TpStepComposer(std::string name, Deployment deployment, std::unique_ptr<OpCosts> costs);
  std::string_view name() const override { return name_; }
  void time_step(const StepPlan& plan, StepTiming& out) override;
  nlohmann::json notes() const override { return costs_->notes(); }

 private:
  std::string name_;
  Deployment d_;
  std::unique_ptr<OpCosts> costs_;
  std::vector<double> attn_phase_s_;  // scratch [gpu]
};

}  // namespace kvsim
