// See validate.h.
#include "sim/validate/validate.h"

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "sim/core/input_error.h"
#include "sim/metrics/run_outputs.h"
#include "sim/validate/comparing_executor.h"
#include "sim/validate/validation_stats.h"

namespace kvsim {
namespace {

// Targets of the validation (issue 6): per-step median and p90, and throughput.
constexpr double kMedianTarget = 0.05, kP90Target = 0.10, kThroughputTarget = 0.05;

Scenario with_calibrated_executor(const Scenario& s, const std::string& profile) {
  nlohmann::json doc = s.source;
  doc["executor"] = {{"kind", "calibrated"}, {"profile", std::filesystem::absolute(profile).string()}};
  doc.erase("variants");
  return parse_scenario(doc, s.file, s.base_dir);
}

double throughput(const nlohmann::json& summary, const char* key) {
  const auto& t = summary.at("throughput");
  return t.contains(key) && t.at(key).is_number() ? t.at(key).get<double>() : 0.0;
}

nlohmann::json throughput_entry(const nlohmann::json& predicted, const nlohmann::json& measured, const char* key) {
  const double p = throughput(predicted, key), m = throughput(measured, key);
  return {{"predicted", p}, {"measured", m}, {"error", relative_error(p, m)}};
}

// Per phase, summed over the steps the measuring executor timed per phase.
nlohmann::json phase_totals(const std::vector<StepPair>& pairs) {
  nlohmann::json out = nlohmann::json::object();
  std::size_t steps = 0;
  for (const StepPair& s : pairs) steps += s.measured_phases();
  out["steps"] = steps;
  for (int p = 0; p < kPhaseCount; ++p) {
    double pred = 0, meas = 0;
    for (const StepPair& s : pairs) {
      if (!s.measured_phases()) continue;
      pred += s.predicted_phase_s[static_cast<std::size_t>(p)];
      meas += s.measured_phase_s[static_cast<std::size_t>(p)];
    }
    out[phase_name(static_cast<Phase>(p))] = {{"predicted_s", pred}, {"measured_s", meas}, {"error", relative_error(pred, meas)}};
  }
  return out;
}

// The steps timed by their ends only, when the measuring executor timed some per phase and not all
// (the per-phase events cost GPU time); every step otherwise.
std::vector<StepPair> steps_for_errors(const std::vector<StepPair>& pairs) {
  std::vector<StepPair> plain;
  for (const StepPair& s : pairs)
    if (!s.measured_phases()) plain.push_back(s);
  return plain.empty() || plain.size() == pairs.size() ? pairs : plain;
}

// When only some steps were timed per phase: the error on each group apart (the events cost time).
nlohmann::json error_by_timing(const std::vector<StepPair>& pairs) {
  std::vector<StepPair> with, without;
  for (const StepPair& s : pairs) (s.measured_phases() ? with : without).push_back(s);
  if (with.empty() || without.empty()) return nullptr;
  return {{"with_phase_events", step_error_stats(with, "decode").to_json()},
          {"without_phase_events", step_error_stats(without, "decode").to_json()}};
}

// Per GPU: the KV the scheduler admitted (each request's decode peak) against what the measuring
// executor allocated, when it says.
nlohmann::json memory_entry(const RunResult& measured) {
  nlohmann::json gpus = nlohmann::json::array();
  const nlohmann::json* allocated = nullptr;
  if (measured.notes.contains("kv_bytes_per_gpu")) allocated = &measured.notes.at("kv_bytes_per_gpu");
  bool exact = allocated != nullptr;
  for (std::size_t g = 0; g < measured.gpu.size(); ++g) {
    nlohmann::json e = {{"gpu", g}, {"predicted_kv_bytes", measured.gpu[g].admitted_kv_bytes}};
    if (allocated && g < allocated->size()) {
      const std::int64_t a = allocated->at(g).get<std::int64_t>();
      e["allocated_kv_bytes"] = a;
      e["difference_bytes"] = a - measured.gpu[g].admitted_kv_bytes;
      exact = exact && a == measured.gpu[g].admitted_kv_bytes;
    } else {
      e["allocated_kv_bytes"] = nullptr;
    }
    gpus.push_back(e);
  }
  return {{"per_gpu", gpus}, {"exact", allocated ? nlohmann::json(exact) : nlohmann::json(nullptr)}};
}

// Named quantities for `kvsim report`'s predicted-vs-measured chart.
nlohmann::json report_points(const std::vector<StepPair>& pairs, const RunResult& predicted, const RunResult& measured) {
  nlohmann::json points = nlohmann::json::array();
  for (const char* kind : {"decode", "prefill", "mixed"}) {
    const ErrorStats st = step_error_stats(pairs, kind);
    if (st.steps == 0) continue;
    points.push_back({{"name", std::string("median ") + kind + " step"},
                      {"predicted_s", st.median_predicted_s},
                      {"measured_s", st.median_measured_s}});
  }
  points.push_back({{"name", "whole run"}, {"predicted_s", predicted.simulated_s}, {"measured_s", measured.simulated_s}});
  return points;
}

}  // namespace

ValidationRun validate_scenario(const Scenario& scenario, const std::string& name, const ValidateOptions& options) {
  ValidationRun run;
  run.name = name;
  const Scenario calibrated = with_calibrated_executor(scenario, options.profile);
  const OutputOptions out_opts{.record_wall_clock = false};
  run.predicted = simulate(calibrated);
  run.predicted_summary = make_summary(run.predicted, out_opts);

  SimulateOptions sim_opts;
  sim_opts.executor = [&](const ExecutorContext& ctx) -> std::unique_ptr<StepExecutor> {
    return std::make_unique<ComparingExecutor>(options.measure(ctx), ctx.pricing_executor(), run.pairs);
  };
  try {
    run.measured = simulate(calibrated, sim_opts);
    run.measured_summary = make_summary(run.measured, out_opts);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    run.error = "step " + std::to_string(run.pairs.size()) + ": " + e.what();
  }

  nlohmann::json& r = run.report;
  r["name"] = name;
  r["measured_by"] = options.measured_by;
  r["predicted_by"] = "calibrated (" + std::filesystem::path(options.profile).filename().string() + ")";
  r["error"] = run.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(run.error);
  r["targets"] = {{"median_step_error", kMedianTarget}, {"p90_step_error", kP90Target}, {"throughput_error", kThroughputTarget}};
  // Per-step errors are taken over the steps timed without per-phase events when the measuring
  // executor sampled its phases (those events add GPU time of their own); over every step otherwise.
  const std::vector<StepPair> timed = steps_for_errors(run.pairs);
  const ErrorStats all = step_error_stats(timed);
  r["step_error"] = {{"all", all.to_json()}};
  for (const char* kind : {"decode", "prefill", "mixed"})
    if (const ErrorStats st = step_error_stats(timed, kind); st.steps > 0) r["step_error"][kind] = st.to_json();
  r["step_error_over"] = timed.size() == run.pairs.size()
                             ? "every step"
                             : "the " + std::to_string(timed.size()) + " of " + std::to_string(run.pairs.size()) +
                                   " steps timed without per-phase CUDA events (see decode_step_error_by_timing)";
  r["phases"] = phase_totals(run.pairs);
  r["decode_step_error_by_timing"] = error_by_timing(run.pairs);
  r["points"] = report_points(timed, run.predicted, run.measured);
  if (run.error.empty()) {
    r["throughput"] = {{"output_tokens_per_s", throughput_entry(run.predicted_summary, run.measured_summary, "output_tokens_per_s")},
                       {"decode_only_tokens_per_s",
                        throughput_entry(run.predicted_summary, run.measured_summary, "decode_only_tokens_per_s")}};
    r["memory"] = memory_entry(run.measured);
    r["measured_notes"] = run.measured.notes;
    const double tput_err = r["throughput"]["output_tokens_per_s"]["error"].get<double>();
    r["meets_targets"] = {{"median_step_error", all.median_abs <= kMedianTarget},
                          {"p90_step_error", all.p90_abs <= kP90Target},
                          {"throughput_error", std::fabs(tput_err) <= kThroughputTarget},
                          {"kv_memory_exact", r["memory"]["exact"]}};
  }
  return run;
}

nlohmann::json compare_variants(const std::vector<ValidationRun>& runs) {
  nlohmann::json rows = nlohmann::json::array();
  if (runs.empty() || !runs.front().error.empty()) return rows;
  const char* key = "decode_only_tokens_per_s";
  const double base_p = throughput(runs.front().predicted_summary, key);
  const double base_m = throughput(runs.front().measured_summary, key);
  for (const ValidationRun& run : runs) {
    if (!run.error.empty()) continue;
    const double p = throughput(run.predicted_summary, key), m = throughput(run.measured_summary, key);
    rows.push_back({{"name", run.name},
                    {"baseline", runs.front().name},
                    {"predicted_decode_tokens_per_s", p},
                    {"measured_decode_tokens_per_s", m},
                    {"predicted_speedup", base_p > 0 ? p / base_p : 0.0},
                    {"measured_speedup", base_m > 0 ? m / base_m : 0.0}});
  }
  return rows;
}

}  // namespace kvsim
