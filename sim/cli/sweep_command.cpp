// kvsim sweep SWEEP.json --out DIR [--jobs N] [--shard I/N] [--merge] [--quiet]
// Runs every point of a sweep (sim/sweep/sweep_spec.h) in parallel, one point file each in
// DIR/points, then writes DIR/results.csv. A rerun skips finished points. Under mpirun the points are
// spread over the ranks and rank 0 writes results.csv.
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "sim/cli/commands.h"
#include "sim/sweep/cluster.h"
#include "sim/sweep/parallel.h"
#include "sim/sweep/sweep_runner.h"

namespace kvsim::cli {
namespace {

struct SweepCliOptions {
  std::string sweep;
  std::string out;
  int jobs = 0;
  std::string shard;
  bool merge = false;
  bool quiet = false;
  bool no_progress = false;
};

void run(const SweepCliOptions& o) {
  std::unique_ptr<sweep::Cluster> cluster = sweep::make_mpi_cluster_if_launched();
  if (!cluster) cluster = std::make_unique<sweep::LocalCluster>();
  sweep::SweepOptions options{.out = o.out, .jobs = o.jobs > 0 ? o.jobs : sweep::default_jobs()};
  if (!o.shard.empty()) sweep::parse_shard(o.shard, options.shard_index, options.shard_count);
  options.merge_only = o.merge;
  options.progress = o.quiet || o.no_progress ? sweep::Progress::Mode::none : sweep::Progress::auto_mode();

  const sweep::SweepSpec spec = sweep::load_sweep(o.sweep);
  sweep::validate_points(spec);  // every rank checks everything: a bad point fails before any runs
  const sweep::SweepOutcome r = sweep::run_sweep(spec, options, *cluster, std::cerr);
  if (cluster->rank() != 0) return;
  if (!o.quiet) {
    std::string where = cluster->size() > 1 ? " on " + std::to_string(cluster->size()) + " MPI ranks x " : " on ";
    where += std::to_string(options.jobs) + " thread" + (options.jobs == 1 ? "" : "s");
    if (o.merge) {
      std::printf("sweep: merged %zu of %zu points into %s\n", r.rows, r.total, (options.out / "results.csv").c_str());
    } else {
      std::printf("sweep: %zu points%s: %zu run, %zu already done, %zu could not run%s in %.1f s%s\n", r.total,
                  options.shard_count > 1 ? (" (shard " + o.shard + ": " + std::to_string(r.mine) + " of them)").c_str() : "",
                  r.ran, r.skipped, r.failed, r.crashed ? (", " + std::to_string(r.crashed) + " crashed").c_str() : "",
                  r.wall_s, where.c_str());
      std::printf("results: %s (%zu rows%s)\n", (options.out / "results.csv").c_str(), r.rows,
                  r.rows < r.total ? ", the other points are pending" : "");
    }
  }
  if (r.crashed) throw std::runtime_error(std::to_string(r.crashed) + " points failed unexpectedly (a rerun retries them); first: " + r.first_crash);
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto opts = std::make_shared<SweepCliOptions>();
  CLI::App* cmd = app.add_subcommand("sweep", "Run a grid of scenarios in parallel (resumable) and write results.csv");
  cmd->add_option("sweep", opts->sweep, "Sweep JSON file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", opts->out, "Output folder (points/, results.csv, sweep.json)")->required();
  cmd->add_option("--jobs,-j", opts->jobs, "Threads (default: every core)")->check(CLI::Range(1, 4096));
  cmd->add_option("--shard", opts->shard, "Run only points with index % N == I (job arrays), as I/N");
  cmd->add_flag("--merge", opts->merge, "Run nothing: rebuild results.csv from the finished points (after shards)");
  cmd->add_flag("--no-progress", opts->no_progress, "No progress bar or lines on stderr");
  cmd->add_flag("--quiet", opts->quiet, "Print nothing on success");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace kvsim::cli
