// DIR/results.csv of a sweep: one row per finished point, in point order, ready for pandas:
//   index,id,name,<one column per axis>,status,<metric_columns()>,<the sweep's "metrics">,error
// Numbers are printed in the shortest form that reads back exactly; empty cells are missing values.
// Built only from the point files, so it is the same whichever order, process or machine ran them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/sweep/sweep_spec.h"

namespace kvsim::sweep {

// records[i] is the stored record of spec.points[i], or null when that point has not finished.
std::string make_results_csv(const SweepSpec& spec, const std::vector<nlohmann::json>& records);
// One CSV field (quoted when it holds a comma, quote or newline).
std::string csv_field(const std::string& text);

}  // namespace kvsim::sweep
