// TpStepComposer: a StepExecutor that builds a tensor-parallel step from per-op costs.
// Per layer: every GPU runs QKV GEMM + attention + O-proj for the heads it holds; all-reduce (the
// barrier: it starts when the slowest GPU is done); every GPU runs its MLP shard; all-reduce. After
// the last layer, the LM head (vocabulary split over GPUs) for the rows that emit a token. Before the
// first layer, the vision tower for the image tiles of prompts starting their prefill (vision_cost.h).
// Rows per layer are the step's tokens, or the per-layer counts of a policy that drops prompt tokens
// between layers (StepPlan::prefill_tokens_per_layer).
// Cost per step is O(layers x GPUs), independent of the number of requests and heads. The projection
// GEMMs of a (layer, GPU) depend only on its head count and served share, so they are priced once per
// distinct pair (one under plain TP) and per distinct row count, not once per cell.
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
  std::vector<double> gemm_sum_s_;    // scratch [gpu]: projection GEMMs over the layers
  std::vector<double> attention_sum_s_;  // scratch [gpu]
  struct HeadShape {
    int heads;
    double served;  // kv_heads_served
  };
  std::vector<HeadShape> shapes_;     // distinct (heads, served) of the cells
  std::vector<int> shape_of_cell_;    // [layer * gpus + gpu] -> index into shapes_
  std::vector<double> shape_gemm_s_;  // [shape]: projection GEMMs at shape_gemm_rows_ rows
  double shape_gemm_rows_ = -1;       // the row count shape_gemm_s_ holds (-1: none yet)
};

}  // namespace kvsim
