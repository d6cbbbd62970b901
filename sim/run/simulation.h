// simulate(): one run of a scenario (no variants) from its requests to a RunResult.
// Builds the budget source, the placement (from profiled head loads, as FairKV does offline), the
// deployment (what each GPU holds), the executor and the scheduler, then runs the event loop:
// arrivals and step ends in a binary-heap event queue, ties broken by (time, kind, insertion order).
#pragma once

#include "sim/run/run_result.h"
#include "sim/scenario/scenario.h"

namespace kvsim {

// Throws InputError for anything wrong with the scenario (including a model that does not fit).
RunResult simulate(const Scenario& scenario);

}  // namespace kvsim
