// cost_search: kvsim's cost-driven placement. FairKV's placements and kvsim's balanced_split each
// optimise a proxy (per-layer KV load, plus weight reads per copy); the step a GPU group really runs
// also has projection GEMMs that follow each GPU's share of requests, the MLP, the all-reduces and
// the barrier. cost_search builds every candidate (tensor_parallel, best_effort, fair_copying with
// equal and with unequal head counts, balanced_split), prices one decode step of R concurrent requests
// at the profiled mean per-head loads with the scenario's own executor costs (roofline or calibrated,
// topology included) and keeps the fastest, ties to the earlier candidate. It is therefore never
// slower than any of them on that step, and faster where one candidate's proxy misleads it.
//   "placement": {"kind": "cost_search"}     (no other keys)
// summary.json's placement.search lists each candidate's step time and the one chosen.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/executor/op_costs.h"
#include "sim/placement/placement.h"
#include "sim/scenario/scenario.h"

namespace kvsim {

bool is_placement_search(const nlohmann::json& placement_config);

// `make_costs` returns fresh op costs for the TP group (each candidate gets its own composer).
// Candidates whose weights do not fit the GPUs are skipped; if none fits, the InputError of the
// last one is thrown.
Placement search_placement(const Scenario& scenario, const PlacementRequest& request,
                           const std::function<std::unique_ptr<OpCosts>()>& make_costs, const std::string& pointer);

}  // namespace kvsim
