// Helpers of the sweep, plan and report tests: a tiny sweep over the small scenario, and running the
// kvsim binary.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tests/scenario/small_scenario.h"
#include "tests/support/run_kvsim.h"

namespace kvsim::testing {

// Small scenario with fewer requests, so a point takes milliseconds.
inline nlohmann::json tiny_base() {
  nlohmann::json s = small_scenario();
  s["workload"]["requests"] = 12;
  return s;
}

// 3 budgets x 2 placements over the tiny base (inline).
inline nlohmann::json tiny_sweep() {
  return {{"schema_version", 1},
          {"base", tiny_base()},
          {"grid", {{"/kv_policy/budget", {64, 128, 256}},
                    {"/placement", {{{"kind", "tensor_parallel"}}, {{"kind", "best_effort"}}}}}}};
}


inline int count_lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace kvsim::testing
