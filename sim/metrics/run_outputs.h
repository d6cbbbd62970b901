// Writing a RunResult: summary.json (the contract in DESIGN.md plus placement and imbalance detail),
// requests.csv (one row per request) and trace.json (Chrome trace format: one track per GPU with a
// slice per layer phase, so time spent waiting at the TP barrier shows as gaps). Every file is
// written atomically. Numbers are printed in the shortest form that reads back to the same double,
// so the same run gives byte-identical files.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/run/run_result.h"

namespace kvsim {

struct OutputOptions {
  bool record_wall_clock = true;  // false: "wall_s": null, so repeated runs are byte-identical
};

nlohmann::json make_summary(const RunResult& result, const OutputOptions& options);
std::string make_requests_csv(const RunResult& result);
std::string make_chrome_trace(const RunResult& result);
// Writes the three files into `dir` (created if missing).
void write_run_outputs(const RunResult& result, const std::filesystem::path& dir, const OutputOptions& options);

}  // namespace kvsim
