// simulate(): one run of a scenario (no variants) from its requests to a RunResult.
// Builds the budget source, the placement (from profiled head loads, as FairKV does offline), the
// deployment (what each GPU holds), the executor and the scheduler, then runs the event loop:
// arrivals and step ends in a binary-heap event queue, ties broken by (time, kind, insertion order).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "sim/executor/step_executor.h"
#include "sim/placement/placement.h"
#include "sim/policy/attention_policy.h"
#include "sim/run/run_result.h"
#include "sim/scenario/scenario.h"
#include "sim/workload/workload.h"

namespace kvsim {

// What an executor built outside the simulator library (the cuda executor of sim/validate) is given.
struct ExecutorContext {
  const Scenario& scenario;
  const Deployment& deployment;
  const Placement& placement;
  const AttentionPolicy& policy;
  const std::vector<Request>& requests;  // every request of the run, indexed by id
  // Builds the executor that prices steps for this scenario: calibrated when the scenario names a
  // profile, roofline otherwise (what validate compares the measurement with).
  std::function<std::unique_ptr<StepExecutor>()> pricing_executor;
};
using ExecutorFactory = std::function<std::unique_ptr<StepExecutor>(const ExecutorContext&)>;

struct SimulateOptions {
  // When set, builds the step executor instead of the scenario's own, and each StepPlan lists its
  // requests (StepPlan::entries). One TP group only (hardware.replicas = 1).
  ExecutorFactory executor;
};

// Throws InputError for anything wrong with the scenario (including a model that does not fit).
RunResult simulate(const Scenario& scenario, const SimulateOptions& options = {});

}  // namespace kvsim
