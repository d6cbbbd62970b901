// validate_scenario(): one scenario run twice, as `kvsim validate` does it.
//  1. predicted: the simulation with the calibrated executor of `profile` (its own timeline);
//  2. measured: the simulation whose steps are run by the measuring executor (the cuda executor on
//     GPUs; tests use the roofline model as a stand-in), each step also priced by the calibrated
//     executor on the identical StepPlan (ComparingExecutor), so per-step errors compare like with like.
// Throughput compares the two runs; memory compares the KV the measuring executor allocated per GPU
// (its notes' "kv_bytes_per_gpu", when it reports them) with what the scheduler admitted. When the
// measuring executor timed only some steps per phase (CUDA events between kernels cost GPU time),
// per-step errors are over the other steps and phase totals over those; both are said in the report.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/run/run_result.h"
#include "sim/run/simulation.h"
#include "sim/scenario/scenario.h"
#include "sim/validate/step_pair.h"

namespace kvsim {

struct ValidateOptions {
  std::string profile;      // calibration profile file of the predicting executor
  ExecutorFactory measure;  // builds the measuring executor
  std::string measured_by;  // "cuda", or the name of the stand-in model
};

struct ValidationRun {
  std::string name;                   // the scenario's (or variant's) name
  RunResult predicted, measured;
  nlohmann::json predicted_summary, measured_summary;
  std::vector<StepPair> pairs;
  nlohmann::json report;              // what validation.json holds for this run
  std::string error;                  // non-empty: the measured run stopped early (what and at which step)
};

// Throws InputError for a bad scenario or profile. A failure of the measuring executor while it
// runs (a CUDA or NCCL error, out of memory) is caught: `error` says what, and the steps measured
// up to it are kept in `pairs` and `report`.
ValidationRun validate_scenario(const Scenario& scenario, const std::string& name, const ValidateOptions& options);

// The comparison of variants: measured and predicted decode-only throughput of each over the first.
nlohmann::json compare_variants(const std::vector<ValidationRun>& runs);

}  // namespace kvsim
