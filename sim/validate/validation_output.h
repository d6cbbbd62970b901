// write_validation(): the files of `kvsim validate SCENARIO --out DIR`, each written atomically.
//   DIR/validation.json   the comparison (per-step error stats, throughput, memory, targets met,
//                         "points" for `kvsim report`); with variants, one entry per variant and the
//                         measured and predicted speedups of each over the first
//   DIR/validation.md     the same as a Markdown table
//   DIR[/variant]/steps.csv        per step: kind, tokens, predicted and measured time and phases
//   DIR[/variant]/step_times.svg   the plot
//   DIR[/variant]/predicted/, measured/   summary.json, requests.csv, trace.json of the two runs
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "sim/validate/validate.h"

namespace kvsim {

void write_validation(const std::filesystem::path& dir, const std::string& title, const std::vector<ValidationRun>& runs);
std::string validation_markdown(const std::string& title, const std::vector<ValidationRun>& runs,
                                const nlohmann::json& speedups);
std::string steps_csv(const std::vector<StepPair>& pairs);

}  // namespace kvsim
