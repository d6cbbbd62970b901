// make_deployment(): what each GPU of a scenario's tensor-parallel group holds under a placement
// (kv heads and copies per layer, their request shares, weight bytes), checked against the GPU's
// memory: a model whose weights shard and reserve do not fit is an InputError at /hardware/gpus.
#pragma once

#include "sim/executor/step_plan.h"
#include "sim/placement/placement.h"
#include "sim/scenario/scenario.h"

namespace kvsim {

Deployment make_deployment(const Scenario& scenario, const Placement& placement);

}  // namespace kvsim
