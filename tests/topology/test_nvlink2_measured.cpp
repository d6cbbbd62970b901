// The nvlink-2 preset's NCCL cost model (no measured curve attached) against what the 2 x H200 NVLink
// machine measured (NCCL 2.28.3, bf16 sum, 1 KiB .. 1 GiB, one host thread driving both GPUs):
//   * the all-reduce curve of calibration/profiles/h200/h200-nvlink-2gpu.json (raw: run1-h200x2/
//     allreduce.json; host clock per call, calls back to back): issue 8's check, 15% at every size;
//   * run9-h200x2-allreduce-repeats: the in-stream GPU time of each protocol forced in turn, and the
//     host clock of ten separate processes.
// The model is configured as those measurements ran: "collective_issue": "one_thread", and the host's
// issue cost from the profile's "collective_issue" (fitted from run9's enqueue_seconds, a different
// quantity from the curves checked here). Nothing in the model was fitted to these curves
// (sim/topology/collectives.cpp cites every constant). Each case prints its per-size table.
// Run: ctest --test-dir build -R topology
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/executor/calibration_profile.h"
#include "sim/scenario/json_reader.h"
#include "sim/topology/topology.h"
#include "tests/support/catch.h"
#include "tests/topology/topology_test_util.h"

namespace {

using kvsim::testing::iota;

// ctest runs the tests from the source root (tests/CMakeLists.txt, WORKING_DIRECTORY).
constexpr const char* kProfile = "calibration/profiles/h200/h200-nvlink-2gpu.json";
constexpr const char* kRun9 = "calibration/profiles/h200/raw/run9-h200x2-allreduce-repeats/";

// The nvlink-2 preset as the calibration ran it: one thread issues on both GPUs, at the profile's cost.
kvsim::GroupCost measured_setup() {
  const kvsim::CalibrationProfile profile = kvsim::load_profile(kProfile);
  REQUIRE(profile.collective_issue.has_value());
  auto t = kvsim::make_topology(nlohmann::json{{"preset", "nvlink-2"}, {"collective_issue", "one_thread"}},
                                "s.json", "/topology");
  t.set_collective_issue(*profile.collective_issue);
  kvsim::GroupCost cost = t.group_cost(iota(0, 2));
  REQUIRE(cost.measured.empty());
  return cost;
}

// bytes -> seconds of one counter, 2-GPU entries of a bench_allreduce file.
std::map<std::int64_t, double> counter(const std::string& file, const char* name) {
  const nlohmann::json doc = kvsim::read_json_file(file);
  std::map<std::int64_t, double> out;
  for (const auto& b : doc.at("benchmarks"))
    if (b.value("gpus", 0.0) == 2) out[static_cast<std::int64_t>(b.at("bytes").get<double>())] = b.at(name).get<double>();
  REQUIRE(out.size() == 21);
  return out;
}

// Per size: the median, or the smallest, of one counter over run9's files `prefix`01 .. `prefix`NN.
std::map<std::int64_t, double> over_files(const std::string& prefix, int files, const char* name, bool smallest) {
  std::map<std::int64_t, std::vector<double>> all;
  for (int i = 1; i <= files; ++i) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%02d.json", i);
    for (const auto& [bytes, s] : counter(kRun9 + prefix + suffix, name)) all[bytes].push_back(s);
  }
  std::map<std::int64_t, double> out;
  for (auto& [bytes, v] : all) {
    std::sort(v.begin(), v.end());
    out[bytes] = smallest ? v.front() : (v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]));
  }
  return out;
}

// Largest |model / measured - 1|; prints one line per size. model(bytes) -> (seconds, label).
template <typename Model>
double worst_error(const char* title, const std::map<std::int64_t, double>& measured, Model model, double bound) {
  std::printf("%s (bound %.0f%%)\n%12s %12s %12s %-12s %8s\n", title, bound * 100, "bytes", "measured us",
              "model us", "model", "error");
  double worst = 0;
  for (const auto& [bytes, seconds] : measured) {
    const auto [predicted, label] = model(bytes);
    const double err = predicted / seconds - 1;
    worst = std::max(worst, std::abs(err));
    std::printf("%12lld %12.1f %12.1f %-12s %+7.1f%%%s\n", static_cast<long long>(bytes), seconds * 1e6,
                predicted * 1e6, label.c_str(), err * 100, std::abs(err) > bound ? "  <-- outside" : "");
  }
  return worst;
}

std::pair<double, std::string> per_call(const kvsim::GroupCost& cost, std::int64_t bytes) {
  const kvsim::NcclChoice c = cost.allreduce_choice(bytes);
  const bool host = c.issue_seconds > c.gpu_seconds;
  return {c.seconds, std::string(kvsim::nccl_protocol_name(c.protocol)) + (host ? " host" : " gpu")};
}

}  // namespace

// NCCL 2.28.3 on the same 2 x H200 (NVLS off) printed its tuner's AllReduce row at init
// (calibration/profiles/h200/raw/run8-h200x2-nccl-tuning/nccl-debug.650.log, "Latency/AlgBw"; us and
// GB/s of algbw) and, per call, its choice. The model's tuner terms must be that table, and its
// choice NCCL's at every size 1 KiB .. 1 GiB: Ring/LL up to 1 MiB, Ring/Simple from 2 MiB.
// (NCCL's Tree row, 8.0/61.1, 16.5/180.6, 16.4/232.2, is not modelled for one host: every Tree cell
// is slower than the Ring cell of its protocol, so it never wins here.)
TEST_CASE("nvlink-2 tuner reproduces NCCL 2.28.3's printed AllReduce Latency/AlgBw and choices") {
  const auto t = kvsim::make_topology("nvlink-2", "s.json", "/topology");
  const auto cost = t.group_cost(iota(0, 2));
  struct Cell {
    kvsim::NcclProtocol protocol;
    double latency_us, algbw_gbps;
  };
  const Cell printed[] = {{kvsim::NcclProtocol::ll, 7.8, 141.0},
                          {kvsim::NcclProtocol::ll128, 17.8, 331.2},
                          {kvsim::NcclProtocol::simple, 15.2, 360.0}};
  const std::int64_t a = 1 << 20, b = 1 << 21;
  for (const Cell& c : printed) {
    const double ta = cost.nccl_tuner_allreduce_s(a, kvsim::NcclAlgorithm::ring, c.protocol);
    const double tb = cost.nccl_tuner_allreduce_s(b, kvsim::NcclAlgorithm::ring, c.protocol);
    const double algbw = static_cast<double>(b - a) / (tb - ta);
    const double latency = ta - static_cast<double>(a) / algbw;
    INFO(kvsim::nccl_protocol_name(c.protocol));
    CHECK(latency * 1e6 == Approx(c.latency_us).margin(0.05));
    CHECK(algbw / 1e9 == Approx(c.algbw_gbps).margin(0.05));
  }
  CHECK(cost.nccl.channels == 24);  // "24 coll channels"; Simple used channel{Lo..Hi}={0..23}
  for (std::int64_t bytes = 1024; bytes <= (std::int64_t{1} << 30); bytes *= 2) {
    const kvsim::NcclChoice choice = cost.allreduce_choice(bytes);
    INFO(bytes);
    CHECK(choice.algorithm == kvsim::NcclAlgorithm::ring);
    CHECK(choice.protocol == (bytes <= (1 << 20) ? kvsim::NcclProtocol::ll : kvsim::NcclProtocol::simple));
  }
}

TEST_CASE("issue 8: nvlink-2 predicts the profile's measured all-reduce within 15% at every size") {
  const kvsim::GroupCost cost = measured_setup();
  std::map<std::int64_t, double> curve;
  const kvsim::CalibrationProfile profile = kvsim::load_profile(kProfile);
  for (const kvsim::Series& s : profile.op(kvsim::CalibratedOp::allreduce)->series)
    if (s.key[0] == 2)
      for (std::size_t i = 0; i < s.seconds.size(); ++i) curve[static_cast<std::int64_t>(s.axes[0][i])] = s.seconds[i];
  REQUIRE(curve.size() == 21);
  const double worst = worst_error("nvlink-2 (one thread) vs the profile's 2 x H200 all-reduce (run 1)", curve,
                                   [&](std::int64_t b) { return per_call(cost, b); }, 0.15);
  CHECK(worst <= 0.15);
}

// The host clock is not reproducible where the host sets the pace: ten processes on one machine read
// 12.0-18.4 us at 1 KiB and 13.9-21.7 us at 1 MiB; from 2 MiB, where the GPUs do, they agree within
// 2.5%. The model predicts the host's floor, so it is held to the fastest process at every size and to
// the median only where the GPUs set the pace.
TEST_CASE("nvlink-2 against ten processes of run9: the fastest at every size, the median from 2 MiB") {
  const kvsim::GroupCost cost = measured_setup();
  const auto model = [&](std::int64_t b) { return per_call(cost, b); };
  CHECK(worst_error("vs run9's fastest process per size", over_files("allreduce-rep", 10, "seconds", true), model,
                    0.15) <= 0.15);
  std::map<std::int64_t, double> median = over_files("allreduce-rep", 10, "seconds", false), gpu_bound;
  for (const auto& [bytes, s] : median)
    if (bytes >= (2 << 20)) gpu_bound[bytes] = s;
  worst_error("vs run9's median process, every size (not held below 2 MiB)", median, model, 0.15);
  REQUIRE(gpu_bound.size() == 10);
  CHECK(worst_error("vs run9's median process from 2 MiB", gpu_bound, model, 0.15) <= 0.15);
}

// The GPUs' side alone: each protocol forced (NCCL_PROTO) in three processes, in-stream time per call
// (the streams held until every call is queued), median per size, against the model's time for that
// protocol. Where NCCL's own constants miss on this machine the table shows it: Ring/LL's 7.8 us
// latency is above the 6.4 us measured at 1 KiB, and LL128 runs below NCCL's 331 GB/s from 16 MiB
// (its per-channel cap is not modelled). The bounds hold what the model does today (a regression guard).
TEST_CASE("nvlink-2 GPU time per protocol against run9's in-stream time with the protocol forced") {
  const kvsim::GroupCost cost = measured_setup();
  struct Case {
    const char* file;
    kvsim::NcclProtocol protocol;
    double bound;
  };
  for (const Case& c : {Case{"allreduce-LL-rep", kvsim::NcclProtocol::ll, 0.25},
                        Case{"allreduce-LL128-rep", kvsim::NcclProtocol::ll128, 0.50},
                        Case{"allreduce-Simple-rep", kvsim::NcclProtocol::simple, 0.15}}) {
    const std::string title = std::string("GPU time, ") + std::string(kvsim::nccl_protocol_name(c.protocol)) + " forced";
    const double worst = worst_error(title.c_str(), over_files(c.file, 3, "gpu_seconds", false),
                                     [&](std::int64_t b) {
                                       return std::pair{cost.nccl_allreduce_s(b, kvsim::NcclAlgorithm::ring, c.protocol),
                                                        std::string(kvsim::nccl_protocol_name(c.protocol))};
                                     },
                                     c.bound);
    INFO(title);
    CHECK(worst <= c.bound);
  }
}
