// See fit_issue.h.
#include "calibration/fitter/fit_issue.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "sim/core/input_error.h"
#include "sim/topology/topology.h"

namespace kvsim::calib {

namespace {

// (gpus, bytes) -> smallest enqueue_seconds over the files.
using Floors = std::map<std::pair<int, std::int64_t>, double>;

void read_floors(const std::string& file, const nlohmann::json& doc, Floors& floors) {
  if (!doc.is_object() || !doc.contains("benchmarks") || !doc.at("benchmarks").is_array())
    throw InputError(file, "/benchmarks", "Google Benchmark output with a \"benchmarks\" array", "none");
  int found = 0;
  const auto& entries = doc.at("benchmarks");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const std::string name = e.value("name", "");
    if (name.rfind("allreduce/", 0) != 0 || !e.contains("enqueue_seconds")) continue;
    const std::string at = "/benchmarks/" + std::to_string(i);
    for (const char* k : {"gpus", "bytes", "enqueue_seconds"})
      if (!e.contains(k) || !e.at(k).is_number() || !(e.at(k).get<double>() > 0))
        throw InputError(file, at + "/" + k, "a number > 0", e.contains(k) ? e.at(k).dump() : "nothing");
    const auto key = std::pair{static_cast<int>(e.at("gpus").get<double>()),
                               static_cast<std::int64_t>(e.at("bytes").get<double>())};
    const double s = e.at("enqueue_seconds").get<double>();
    auto [it, added] = floors.emplace(key, s);
    if (!added) it->second = std::min(it->second, s);
    ++found;
  }
  if (found == 0)
    throw InputError(file, "/benchmarks", "allreduce entries with an enqueue_seconds counter (bench_allreduce)",
                     "none");
}

}  // namespace

IssueFit fit_collective_issue(const std::vector<std::pair<std::string, nlohmann::json>>& files,
                              const std::string& topology) {
  Floors floors;
  for (const auto& [file, doc] : files) read_floors(file, doc, floors);
  const Topology machine = make_topology(nlohmann::json(topology), "--issue-topology", "");

  std::vector<double> x, y;  // channels, seconds per GPU driven
  nlohmann::json points = nlohmann::json::array();
  for (const auto& [key, seconds] : floors) {
    const auto [gpus, bytes] = key;
    if (gpus > machine.gpu_count())
      throw InputError("--issue-topology", "", "a topology with at least " + std::to_string(gpus) + " GPUs",
                       "\"" + topology + "\" with " + std::to_string(machine.gpu_count()));
    std::vector<int> group(static_cast<std::size_t>(gpus));
    std::iota(group.begin(), group.end(), 0);
    const int channels = machine.group_cost(group).allreduce_choice(bytes).channels;
    x.push_back(channels);
    y.push_back(seconds / gpus);
    points.push_back({{"gpus", gpus}, {"bytes", bytes}, {"channels", channels}, {"seconds", seconds}});
  }
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  const std::string where = files.front().first;
  if (!(sxx > 0))
    throw InputError(where, "/benchmarks", "calls on at least two different channel counts (to fit a line)",
                     "one channel count");
  IssueFit out;
  out.cost.per_gpu_channel_s = sxy / sxx;
  out.cost.per_gpu_s = my - out.cost.per_gpu_channel_s * mx;
  if (out.cost.per_gpu_s < 0 || out.cost.per_gpu_channel_s < 0)
    throw InputError(where, "/benchmarks", "issue costs that fit with non-negative terms",
                     "per GPU " + std::to_string(out.cost.per_gpu_s) + " s, per channel " +
                         std::to_string(out.cost.per_gpu_channel_s) + " s");
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double gpus = points[i].at("gpus").get<double>();
    const double predicted = gpus * (out.cost.per_gpu_s + out.cost.per_gpu_channel_s * x[i]);
    worst = std::max(worst, std::abs(predicted / points[i].at("seconds").get<double>() - 1));
  }
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& [file, doc] : files) sources.push_back(file.substr(file.find_last_of('/') + 1));
  out.fit = {{"source", "bench_allreduce enqueue_seconds: smallest over the files per (gpus, bytes), divided by gpus"},
             {"files", sources},
             {"topology", topology},
             {"points", points.size()},
             {"max_relative_residual", worst},
             {"floors", points}};
  return out;
}

}  // namespace kvsim::calib
