// Helpers of the sweep, plan and report tests: a tiny sweep over the small scenario, and running the
// kvsim binary.
#pragma once

#include <cstdio>
#include <string>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "tests/scenario/small_scenario.h"

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

struct Outcome {
  int status;
  std::string output;
};

// Runs `KVSIM_BINARY args` and captures stdout and stderr together.
inline Outcome run_kvsim(const std::string& args) {
  const std::string cmd = std::string(KVSIM_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe)) out += buf;
  const int raw = ::pclose(pipe);
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, out};
}

inline int count_lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace kvsim::testing
