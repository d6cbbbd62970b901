// kvsim-fit: turns calibration benchmark JSON into a profile for the calibrated executor.
//
//   kvsim-fit --out calibration/profiles/h200/h200-nvlink-2gpu.json --env env.json
//             (one line) [--gpus N] [--skip-op allreduce] [--report table.md] gemm.json ops.json attention.json ...
//             (one line) [--issue-from allreduce.json]... [--issue-topology PRESET]
//
// --env: a JSON object (run_calibration.sh writes it: driver, commit, date, host, nccl, ...) copied
// into the profile's "environment", completed from the benchmarks' own context blocks (GPU name,
// CUDA runtime, NCCL version). Several --env (inputs from several runs): the first gives the
// top-level fields, all are listed under "runs". --gpus: the GPU count the profile stands for (default: the most any
// benchmark used). --skip-op: leave an op out (e.g. the all-reduce of a one-GPU profile).
// --issue-from: bench_allreduce output (several: separate processes) to fit the profile's
// "collective_issue" from (fit_issue.h); --issue-topology names the measured machine's topology preset.
// Prints each op's leave-one-out error; --report also writes that table as Markdown.
// Bad input: one line "FILE: POINTER: expected ..., found ..." and exit status 2.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "calibration/fitter/fit_issue.h"
#include "calibration/fitter/fit_profile.h"
#include "sim/core/atomic_file.h"
#include "sim/core/input_error.h"
#include "sim/scenario/json_reader.h"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: kvsim-fit --out PROFILE.json [--env ENV.json]... [--gpus N] [--skip-op OP]... "
               "[--report TABLE.md] [--issue-from ALLREDUCE.json]... [--issue-topology PRESET] BENCH.json...\n");
}

std::string context_string(const nlohmann::json& ctx, const char* key) {
  return ctx.contains(key) && ctx[key].is_string() ? ctx[key].get<std::string>() : std::string();
}

std::string table(const kvsim::CalibrationProfile& p) {
  std::string out = "| op | series | grid points | LOO median | LOO p90 | LOO max | target met | roofline-only median |\n"
                    "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
  char buf[512];
  for (const kvsim::OpSchema& s : kvsim::op_schemas()) {
    const auto& op = p.op(s.op);
    if (!op) continue;
    std::size_t cells = 0;
    for (const auto& se : op->series) cells += se.seconds.size();
    std::snprintf(buf, sizeof buf, "| %s | %zu | %zu | %.1f%% | %.1f%% | %.1f%% | %s | %.1f%% |\n",
                  std::string(s.name).c_str(), op->series.size(), cells, 100 * op->loo.median, 100 * op->loo.p90,
                  100 * op->loo.max, kvsim::calib::meets_accuracy_target(op->loo) ? "yes" : "no",
                  100 * op->checks.value("roofline_only", nlohmann::json::object()).value("median", 0.0));
    out += buf;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_path, report_path;
  std::vector<std::string> env_paths;
  int gpus = 0;
  std::set<std::string> skip;
  std::vector<std::string> inputs, issue_paths;
  std::string issue_topology;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--out") out_path = value();
    else if (a == "--env") env_paths.push_back(value());
    else if (a == "--report") report_path = value();
    else if (a == "--gpus") gpus = std::atoi(value().c_str());
    else if (a == "--skip-op") skip.insert(value());
    else if (a == "--issue-from") issue_paths.push_back(value());
    else if (a == "--issue-topology") issue_topology = value();
    else if (a == "-h" || a == "--help") { usage(); return 0; }
    else if (!a.empty() && a[0] == '-') { usage(); return 2; }
    else inputs.push_back(a);
  }
  if (out_path.empty() || inputs.empty() || (!issue_paths.empty() && issue_topology.empty())) {
    usage();
    return 2;
  }
  try {
    nlohmann::json env = nlohmann::json::object(), runs = nlohmann::json::array();
    for (const std::string& path : env_paths) {
      nlohmann::json e = kvsim::read_json_file(path);
      if (!e.is_object()) throw kvsim::InputError(path, "", "a JSON object", kvsim::JsonReader::describe(e));
      if (env.empty()) env = e;
      runs.push_back(e);
    }
    if (runs.size() > 1) env["runs"] = runs;  // measurements from several runs: each run's machine
    std::vector<kvsim::calib::MeasuredPoint> points;
    int ignored = 0, most_gpus = 1;
    nlohmann::json sources = nlohmann::json::array();
    for (const std::string& path : inputs) {
      kvsim::calib::BenchmarkFile f = kvsim::calib::read_benchmark_json(kvsim::read_json_file(path), path);
      ignored += f.ignored;
      for (auto& p : f.points)
        if (!skip.count(std::string(kvsim::op_schema(p.op).name))) points.push_back(std::move(p));
      const nlohmann::json& c = f.context;
      for (const auto& [from, to] : {std::pair{"gpu_name", "gpu_name"}, {"cuda_runtime", "cuda"}, {"nccl_version", "nccl"},
                                     {"cuda_driver_api", "cuda_driver_api"}, {"date", "benchmark_date"},
                                     {"torch", "torch"}})
        if (!env.contains(to) && !context_string(c, from).empty()) env[to] = context_string(c, from);
      if (!context_string(c, "gpus_used").empty()) most_gpus = std::max(most_gpus, std::atoi(context_string(c, "gpus_used").c_str()));
      sources.push_back(path.substr(path.find_last_of('/') + 1));
    }
    env["gpu_count"] = gpus > 0 ? gpus : most_gpus;
    if (!env.contains("date")) env["date"] = env.value("benchmark_date", "unknown");
    if (!env.contains("nccl") || skip.count("allreduce")) env["nccl"] = env.value("nccl", "not used");
    for (const char* k : {"gpu_name", "driver", "cuda", "commit"})
      if (!env.contains(k)) env[k] = "unknown";
    env["sources"] = sources;
    env["fitter"] = "kvsim-fit (calibration/fitter)";

    kvsim::CalibrationProfile profile = kvsim::calib::fit_profile(points, env);
    if (!issue_paths.empty()) {
      std::vector<std::pair<std::string, nlohmann::json>> docs;
      for (const std::string& path : issue_paths) docs.emplace_back(path, kvsim::read_json_file(path));
      kvsim::calib::IssueFit issue = kvsim::calib::fit_collective_issue(docs, issue_topology);
      profile.collective_issue = issue.cost;
      profile.collective_issue_fit = std::move(issue.fit);
    }
    // The profile must load as the executor will load it: check before writing anything.
    (void)kvsim::parse_profile(kvsim::profile_to_json(profile), out_path);
    kvsim::write_file_atomically(out_path, kvsim::profile_to_json(profile).dump(1) + "\n");
    const std::string t = table(profile);
    std::printf("%zu points (%d entries ignored) -> %s\n%s", points.size(), ignored, out_path.c_str(), t.c_str());
    if (profile.collective_issue)
      std::printf("collective issue: %.3f us per GPU + %.4f us per GPU and channel (%s points, worst %.1f%%)\n",
                  profile.collective_issue->per_gpu_s * 1e6, profile.collective_issue->per_gpu_channel_s * 1e6,
                  profile.collective_issue_fit.at("points").dump().c_str(),
                  100 * profile.collective_issue_fit.at("max_relative_residual").get<double>());
    if (!report_path.empty()) kvsim::write_file_atomically(report_path, t);
  } catch (const kvsim::InputError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  return 0;
}
