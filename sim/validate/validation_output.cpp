// See validation_output.h.
#include "sim/validate/validation_output.h"

#include <cmath>
#include <cstdio>

#include "sim/core/atomic_file.h"
#include "sim/metrics/run_outputs.h"
#include "sim/validate/step_plot.h"

namespace kvsim {
namespace {

std::string fixed(double v, const char* fmt) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string pct(const nlohmann::json& v) {
  if (!v.is_number()) return "-";
  return fixed(100 * v.get<double>(), "%+.1f%%");
}

std::string abs_pct(const nlohmann::json& v) {
  if (!v.is_number()) return "-";
  return fixed(100 * v.get<double>(), "%.1f%%");
}

const nlohmann::json& at_or_null(const nlohmann::json& j, const std::vector<const char*>& path) {
  static const nlohmann::json null_value;
  const nlohmann::json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object() || !cur->contains(key)) return null_value;
    cur = &cur->at(key);
  }
  return *cur;
}

void write_run(const std::filesystem::path& dir, const ValidationRun& run) {
  const OutputOptions opts{.record_wall_clock = false};
  write_run_outputs(run.predicted, dir / "predicted", opts);
  if (run.error.empty()) write_run_outputs(run.measured, dir / "measured", opts);
  write_file_atomically(dir / "steps.csv", steps_csv(run.pairs));
  write_file_atomically(dir / "step_times.svg", step_plot_svg(run.name + ": step time, measured (" +
                                                                  run.report.value("measured_by", "") + ") and predicted",
                                                              run.pairs));
}

}  // namespace

std::string steps_csv(const std::vector<StepPair>& pairs) {
  std::string out = "step,kind,decode_requests,prefill_tokens,predicted_s,measured_s,relative_error";
  for (int p = 0; p < kPhaseCount; ++p) out += std::string(",predicted_") + phase_name(static_cast<Phase>(p)) + "_s";
  for (int p = 0; p < kPhaseCount; ++p) out += std::string(",measured_") + phase_name(static_cast<Phase>(p)) + "_s";
  out += "\n";
  for (const StepPair& s : pairs) {
    out += std::to_string(s.step) + "," + s.kind() + "," + std::to_string(s.decode_requests) + "," +
           std::to_string(s.prefill_tokens) + "," + fixed(s.predicted_s, "%.9g") + "," + fixed(s.measured_s, "%.9g") + "," +
           fixed(s.relative_error(), "%.6f");
    for (double v : s.predicted_phase_s) out.append(",").append(fixed(v, "%.9g"));
    for (double v : s.measured_phase_s) out.append(",").append(fixed(v, "%.9g"));
    out += "\n";
  }
  return out;
}

std::string validation_markdown(const std::string& title, const std::vector<ValidationRun>& runs,
                                const nlohmann::json& speedups) {
  std::string md = "# Validation: " + title + "\n\n";
  if (!runs.empty())
    md += "Measured by " + runs.front().report.value("measured_by", "?") + ", predicted by " +
          runs.front().report.value("predicted_by", "?") + ". Errors are (predicted - measured) / measured; step errors over " +
          runs.front().report.value("step_error_over", std::string("every step")) + ".\n\n";
  md += "| run | steps | median step error | p90 step error | decode median / p90 | prefill / mixed median | "
        "throughput error | decode tok/s error | KV memory |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const ValidationRun& run : runs) {
    const nlohmann::json& r = run.report;
    const nlohmann::json& exact = at_or_null(r, {"memory", "exact"});
    const std::string mem = exact.is_boolean() ? (exact.get<bool>() ? "exact" : "differs") : "not measured";
    std::string prefill = abs_pct(at_or_null(r, {"step_error", "prefill", "median_abs_error"}));
    if (at_or_null(r, {"step_error", "mixed"}).is_object())
      prefill += " / " + abs_pct(at_or_null(r, {"step_error", "mixed", "median_abs_error"}));
    md += "| " + run.name + " | " + at_or_null(r, {"step_error", "all", "steps"}).dump() + " | " +
          abs_pct(at_or_null(r, {"step_error", "all", "median_abs_error"})) + " | " +
          abs_pct(at_or_null(r, {"step_error", "all", "p90_abs_error"})) + " | " +
          abs_pct(at_or_null(r, {"step_error", "decode", "median_abs_error"})) + " / " +
          abs_pct(at_or_null(r, {"step_error", "decode", "p90_abs_error"})) + " | " + prefill + " | " +
          pct(at_or_null(r, {"throughput", "output_tokens_per_s", "error"})) + " | " +
          pct(at_or_null(r, {"throughput", "decode_only_tokens_per_s", "error"})) + " | " + mem + " |\n";
    if (!run.error.empty()) md += "\n**" + run.name + " stopped early:** " + run.error + "\n\n";
  }
  if (speedups.size() > 1) {
    md += "\nDecode-only throughput of each run over " + speedups.front().value("baseline", std::string("the first")) +
          ":\n\n| run | measured tok/s | predicted tok/s | measured speedup | predicted speedup |\n|---|---|---|---|---|\n";
    for (const auto& row : speedups)
      md += "| " + row.value("name", std::string()) + " | " + fixed(row.value("measured_decode_tokens_per_s", 0.0), "%.0f") +
            " | " + fixed(row.value("predicted_decode_tokens_per_s", 0.0), "%.0f") + " | " +
            fixed(row.value("measured_speedup", 0.0), "%.3fx") + " | " + fixed(row.value("predicted_speedup", 0.0), "%.3fx") +
            " |\n";
  }
  return md;
}

void write_validation(const std::filesystem::path& dir, const std::string& title, const std::vector<ValidationRun>& runs) {
  nlohmann::json top;
  const nlohmann::json speedups = compare_variants(runs);
  if (runs.size() == 1) {
    top = runs.front().report;
    write_run(dir, runs.front());
  } else {
    top = {{"name", title}, {"runs", nlohmann::json::array()}, {"points", nlohmann::json::array()}};
    for (const ValidationRun& run : runs) {
      write_run(dir / run.name, run);
      write_file_atomically(dir / run.name / "validation.json", run.report.dump(2) + "\n");
      top["runs"].push_back(run.report);
      for (nlohmann::json p : run.report.at("points")) {
        p["name"] = run.name + ": " + p["name"].get<std::string>();
        top["points"].push_back(p);
      }
    }
    top["speedups"] = speedups;
  }
  write_file_atomically(dir / "validation.md", validation_markdown(title, runs, speedups));
  write_file_atomically(dir / "validation.json", top.dump(2) + "\n");
}

}  // namespace kvsim
