// See sweep_runner.h.
#include "sim/sweep/sweep_runner.h"

#include <chrono>
#include <mutex>

#include "sim/core/atomic_file.h"
#include "sim/core/input_error.h"
#include "sim/metrics/run_outputs.h"
#include "sim/run/simulation.h"
#include "sim/sweep/parallel.h"
#include "sim/sweep/point_store.h"
#include "sim/sweep/results_csv.h"

namespace kvsim::sweep {

void parse_shard(const std::string& text, int& index, int& count) {
  const auto slash = text.find('/');
  bool ok = slash != std::string::npos && slash > 0 && slash + 1 < text.size();
  if (ok) {
    try {
      std::size_t used_i = 0, used_n = 0;
      index = std::stoi(text.substr(0, slash), &used_i);
      count = std::stoi(text.substr(slash + 1), &used_n);
      ok = used_i == slash && used_n == text.size() - slash - 1 && count >= 1 && index >= 0 && index < count;
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok) throw InputError("command line", "--shard", "I/N with 0 <= I < N, such as 0/4", "\"" + text + "\"");
}

std::vector<std::size_t> points_of(const SweepSpec& spec, int shard_index, int shard_count, int rank, int ranks) {
  std::vector<std::size_t> out;
  std::size_t position = 0;
  for (const SweepPoint& p : spec.points) {
    if (p.index % static_cast<std::size_t>(shard_count) != static_cast<std::size_t>(shard_index)) continue;
    if (position++ % static_cast<std::size_t>(ranks) == static_cast<std::size_t>(rank)) out.push_back(p.index);
  }
  return out;
}

nlohmann::json sweep_description(const SweepSpec& spec) {
  nlohmann::json points = nlohmann::json::array();
  for (const SweepPoint& p : spec.points)
    points.push_back({{"index", p.index}, {"id", p.id}, {"name", p.name}, {"labels", p.labels}, {"set", p.set}});
  nlohmann::json base = spec.base.source;
  return {{"file", spec.file}, {"axes", spec.axes}, {"axis_pointers", spec.axis_pointers}, {"metrics", spec.metrics},
          {"base", base}, {"points", points}};
}

SweepOutcome run_sweep(const SweepSpec& spec, const SweepOptions& o, Cluster& cluster, std::ostream& log) {
  const auto start = std::chrono::steady_clock::now();
  SweepOutcome out;
  out.total = spec.points.size();
  const bool root = cluster.rank() == 0;
  if (root) write_file_atomically(o.out / "sweep.json", sweep_description(spec).dump(1) + "\n");

  // This process's points, less those already done.
  std::vector<std::size_t> pending;
  std::size_t mine = 0, skipped = 0;
  if (!o.merge_only) {
    for (std::size_t i : points_of(spec, o.shard_index, o.shard_count, cluster.rank(), cluster.size())) {
      ++mine;
      if (read_point(o.out, spec.points[i])) ++skipped;
      else pending.push_back(i);
    }
  }

  std::vector<std::string> finished;  // records written here, for rank 0
  std::size_t failed = 0, crashed = 0;
  std::string first_crash;
  std::mutex mutex;
  Progress progress(log, root ? o.progress : Progress::Mode::none, pending.size(),
                    cluster.size() > 1 ? "points (rank 0)" : "points");
  parallel_for(pending.size(), o.jobs, [&](std::size_t k) {
    const SweepPoint& point = spec.points[pending[k]];
    nlohmann::json record;
    try {
      const RunResult result = simulate(point_scenario(spec, point));
      record = point_record(point, make_summary(result, {.record_wall_clock = true}), spec.metrics);
    } catch (const InputError& e) {
      record = failed_point_record(point, e.what());
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex);
      if (crashed++ == 0) first_crash = point.name + ": " + e.what();
      progress.tick();
      return;
    }
    try {
      write_point(o.out, record);
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex);
      if (crashed++ == 0) first_crash = point.name + ": " + e.what();
      progress.tick();
      return;
    }
    {
      std::lock_guard lock(mutex);
      failed += record["status"] == "error";
      if (cluster.size() > 1) finished.push_back(record.dump());
    }
    progress.tick();
  });
  progress.finish();

  // Counts and records to rank 0 (MPI: the ranks need not share a file system).
  const std::string counts = nlohmann::json{mine, skipped, pending.size(), failed, crashed, first_crash}.dump();
  finished.insert(finished.begin(), counts);
  const std::vector<std::string> gathered = cluster.gather_to_root(finished);
  if (root) {
    for (const std::string& text : gathered) {
      const nlohmann::json j = nlohmann::json::parse(text);
      if (j.is_array()) {  // a rank's counts
        out.mine += j[0].get<std::size_t>();
        out.skipped += j[1].get<std::size_t>();
        out.ran += j[2].get<std::size_t>();
        out.failed += j[3].get<std::size_t>();
        out.crashed += j[4].get<std::size_t>();
        if (out.first_crash.empty()) out.first_crash = j[5].get<std::string>();
        continue;
      }
      const std::size_t index = j["index"].get<std::size_t>();
      if (index < spec.points.size() && !read_point(o.out, spec.points[index])) write_point(o.out, j);
    }
    std::vector<nlohmann::json> records(spec.points.size());
    for (const SweepPoint& p : spec.points)
      if (auto r = read_point(o.out, p)) {
        records[p.index] = std::move(*r);
        ++out.rows;
      }
    write_file_atomically(o.out / "results.csv", make_results_csv(spec, records));
  }
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace kvsim::sweep
