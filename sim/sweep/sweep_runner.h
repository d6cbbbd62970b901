// run_sweep(): runs the points of a validated sweep that belong to this process and are not done yet,
// on a pool of threads, writing each point's file as it finishes; then rank 0 gathers every rank's
// records (MPI) and writes DIR/results.csv from all point files present in DIR/points.
//
// Which points a process runs: with --shard I/N only points whose index % N == I; within those, MPI
// rank r of K takes every K-th (position % K == r). A point whose file already holds its id is done.
// A point whose scenario cannot run (InputError from the simulator: the model does not fit, ...) is
// recorded with status "error" and its message; it is a result, and a rerun does not repeat it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <ostream>
#include <string>

#include "sim/sweep/cluster.h"
#include "sim/sweep/progress.h"
#include "sim/sweep/sweep_spec.h"

namespace kvsim::sweep {

struct SweepOptions {
  std::filesystem::path out;
  int jobs = 1;
  int shard_index = 0;
  int shard_count = 1;
  Progress::Mode progress = Progress::Mode::none;
  bool merge_only = false;  // run nothing; rebuild results.csv from the point files
};

struct SweepOutcome {
  std::size_t total = 0;      // points in the sweep
  std::size_t mine = 0;       // points of this shard (all ranks together)
  std::size_t skipped = 0;    // of mine, already done before this run (all ranks)
  std::size_t ran = 0;        // of mine, run now (all ranks)
  std::size_t failed = 0;     // of those run, recorded with status "error"
  std::size_t crashed = 0;    // of those run, not recorded (an unexpected error; rerun retries them)
  std::size_t rows = 0;       // rows of results.csv (finished points of every shard)
  double wall_s = 0;
  std::string first_crash;    // message of the first crash
};

// Parses "I/N" (0 <= I < N). Throws InputError naming --shard.
void parse_shard(const std::string& text, int& index, int& count);

// The point indices this process runs (before skipping finished ones).
std::vector<std::size_t> points_of(const SweepSpec& spec, int shard_index, int shard_count, int rank, int ranks);

// Collective over the cluster. Outcome counts are valid on rank 0.
SweepOutcome run_sweep(const SweepSpec& spec, const SweepOptions& options, Cluster& cluster, std::ostream& log);

// The sweep's description written to DIR/sweep.json (axes, points, base scenario) for `kvsim report`.
nlohmann::json sweep_description(const SweepSpec& spec);

}  // namespace kvsim::sweep
