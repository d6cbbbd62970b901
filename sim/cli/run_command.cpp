// kvsim run [SCENARIO] [--out DIR] [--executor KIND] [--profile FILE] [--reproducible]
// Runs one scenario (or each of its variants) and writes summary.json, requests.csv and trace.json.
// With no SCENARIO it runs the built-in default and prints a comparison table.
// With the cuda executor under mpirun, one rank per GPU of the scenario (`mpirun -n G kvsim run
// SCENARIO --executor cuda`): each rank drives one GPU (sim/validate/cuda_backend.h); rank 0 writes
// the output and prints, the other ranks print nothing. A runtime failure on any rank aborts the job.
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "sim/cli/commands.h"
#include "sim/cli/table.h"
#include "sim/core/atomic_file.h"
#include "sim/core/input_error.h"
#include "sim/metrics/run_outputs.h"
#include "sim/run/simulation.h"
#include "sim/scenario/scenario.h"
#include "sim/validate/cuda_backend.h"

namespace kvsim::cli {
namespace {

struct RunOptions {
  std::string scenario;
  std::string out = "kvsim-out";
  std::string executor;
  std::string profile;
  std::string markdown;  // write the comparison table here as Markdown
  bool reproducible = false;
  bool quiet = false;
};

void apply_overrides(Scenario& s, const RunOptions& o) {
  nlohmann::json doc = s.source;
  bool changed = false;
  if (!o.executor.empty()) {
    doc["executor"]["kind"] = o.executor;
    changed = true;
  }
  if (!o.profile.empty()) {
    doc["executor"]["profile"] = std::filesystem::absolute(o.profile).string();
    if (!doc["executor"].contains("kind")) doc["executor"]["kind"] = "calibrated";
    changed = true;
  }
  if (changed) s = parse_scenario(doc, s.file, s.base_dir);
}

void run_all(const RunOptions& o, const Scenario& base, const std::vector<std::pair<std::string, Scenario>>& runs,
             int mpi_ranks, bool root);

void run(const RunOptions& o) {
  Scenario base = o.scenario.empty() ? default_scenario() : load_scenario(o.scenario);
  apply_overrides(base, o);

  std::vector<std::pair<std::string, Scenario>> runs;
  if (base.variants.empty()) runs.emplace_back("", base);
  for (const Variant& v : base.variants) runs.emplace_back(v.name, apply_variant(base, v));
  // The cuda executor under mpirun: one rank per GPU, MPI initialised here and finalised at the end.
  std::optional<CudaRanks> ranks;
  for (const auto& run : runs)
    if (run.second.executor == ExecutorKind::cuda && cuda_backend_missing().empty() && !ranks) ranks.emplace();
  const bool root = !ranks || ranks->root();
  try {
    run_all(o, base, runs, ranks ? ranks->size() : 1, root);
  } catch (const InputError&) {
    if (root) throw;
    throw CLI::RuntimeError(2);  // every rank finds the same bad input: rank 0 says it
  } catch (const CLI::RuntimeError&) {
    throw;
  } catch (const std::exception&) {
    if (root) throw;
    throw CLI::RuntimeError(1);
  }
}

void run_all(const RunOptions& o, const Scenario& base, const std::vector<std::pair<std::string, Scenario>>& runs,
             int mpi_ranks, bool root) {
  const OutputOptions out_opts{.record_wall_clock = !o.reproducible};
  const std::filesystem::path dir(o.out);
  // Validate every variant before running any, so a bad one fails fast and writes nothing.
  std::vector<nlohmann::json> summaries;
  std::vector<std::string> names;
  for (auto& [name, scenario] : runs) {
    SimulateOptions sim_opts;
    if (scenario.executor == ExecutorKind::cuda) sim_opts.executor = cuda_executor_factory({.mpi_ranks = mpi_ranks});
    const RunResult result = simulate(scenario, sim_opts);
    const nlohmann::json summary = make_summary(result, out_opts);
    if (root) {
      if (!name.empty()) write_run_outputs(result, dir / name, out_opts);
      else write_run_outputs(result, dir, out_opts);
    }
    summaries.push_back(summary);
    names.push_back(name.empty() ? base.name : name);
  }
  if (!root) return;
  if (!base.variants.empty()) {
    nlohmann::json top = summaries.front();
    nlohmann::json table = nlohmann::json::array();
    for (std::size_t i = 0; i < summaries.size(); ++i)
      table.push_back(comparison_row(names[i], summaries[i], summaries.front()));
    top["variants"] = table;
    write_file_atomically(dir / "summary.json", top.dump(2) + "\n");
  }
  if (!o.markdown.empty()) {
    std::ostringstream md;
    print_comparison_markdown(md, base, names, summaries);
    write_file_atomically(o.markdown, md.str());
  }
  if (!o.quiet) print_comparison(std::cout, base, names, summaries, dir.string());
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Simulate a scenario (the built-in default if none is given)");
  cmd->add_option("scenario", opts->scenario, "Scenario JSON file")->check(CLI::ExistingFile);
  cmd->add_option("--out", opts->out, "Output folder (summary.json, requests.csv, trace.json)")->capture_default_str();
  cmd->add_option("--executor", opts->executor, "Override the scenario's executor")
      ->check(CLI::IsMember({"roofline", "calibrated", "cuda"}));
  cmd->add_option("--profile", opts->profile, "Calibration profile for the calibrated executor")->check(CLI::ExistingFile);
  cmd->add_option("--markdown", opts->markdown, "Also write the comparison table as Markdown to this file");
  cmd->add_flag("--reproducible", opts->reproducible, "Write wall_s as null so repeated runs are byte-identical");
  cmd->add_flag("--quiet", opts->quiet, "Print nothing on success");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace kvsim::cli
