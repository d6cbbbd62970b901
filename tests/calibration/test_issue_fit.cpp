// kvsim-fit's collective-issue fit (calibration/fitter/fit_issue.h) on synthetic bench_allreduce
// output with a known answer, its input errors, and the profile's "collective_issue" field.
#include "tests/support/catch.h"

#include <string>
#include <vector>

#include "calibration/fitter/fit_issue.h"
#include "calibration/fitter/fit_profile.h"
#include "sim/core/input_error.h"
#include "tests/calibration/calibration_test_util.h"

using namespace kvsim;

namespace {

// A bench_allreduce document for 2 GPUs: enqueue_seconds = 2 x (a + b x channels) + noise, where
// channels is what NCCL gives each size on nvlink-2 (Ring/LL: 1 up to 8 KiB, then doubling to 24;
// Ring/Simple: 24 from 2 MiB).
nlohmann::json bench(double a, double b, double noise) {
  nlohmann::json entries = nlohmann::json::array();
  for (std::int64_t bytes = 1024; bytes <= (std::int64_t{1} << 24); bytes *= 2) {
    int channels = 24;
    if (bytes <= (1 << 20))
      while (channels > 1 && bytes < channels * 8192) --channels;
    entries.push_back({{"name", "allreduce/gpus:2/bytes:" + std::to_string(bytes)},
                       {"gpus", 2},
                       {"bytes", bytes},
                       {"seconds", 1e-5},
                       {"enqueue_seconds", 2 * (a + b * channels) + noise}});
  }
  return {{"context", nlohmann::json::object()}, {"benchmarks", entries}};
}

std::string error_of(const std::vector<std::pair<std::string, nlohmann::json>>& files, const std::string& topology) {
  try {
    (void)calib::fit_collective_issue(files, topology);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the issue fit recovers per-GPU and per-channel costs, taking the smallest over processes") {
  const double a = 6e-6, b = 0.04e-6;
  // One quiet process and one whose thread was slowed by 5 us on every call: the floor is the quiet one.
  const calib::IssueFit fit =
      calib::fit_collective_issue({{"run/rep1.json", bench(a, b, 5e-6)}, {"run/rep2.json", bench(a, b, 0)}}, "nvlink-2");
  CHECK(fit.cost.per_gpu_s == Approx(a).epsilon(1e-9));
  CHECK(fit.cost.per_gpu_channel_s == Approx(b).epsilon(1e-9));
  CHECK(fit.fit.at("points") == 15);
  CHECK(fit.fit.at("max_relative_residual").get<double>() < 1e-9);
  CHECK(fit.fit.at("files") == nlohmann::json::array({"rep1.json", "rep2.json"}));
  CHECK(fit.fit.at("topology") == "nvlink-2");
}

TEST_CASE("the issue fit rejects files without enqueue_seconds, unknown topologies and single channel counts") {
  nlohmann::json old = bench(6e-6, 0, 0);
  for (auto& e : old["benchmarks"]) e.erase("enqueue_seconds");
  CHECK(error_of({{"old.json", old}}, "nvlink-2").find("old.json: /benchmarks: expected allreduce entries with an "
                                                       "enqueue_seconds counter") != std::string::npos);
  CHECK(error_of({{"r.json", bench(6e-6, 0, 0)}}, "dgx").find("--issue-topology") != std::string::npos);
  nlohmann::json one = bench(6e-6, 0, 0);
  one["benchmarks"] = nlohmann::json::array({one["benchmarks"][0], one["benchmarks"][1]});  // both on 1 channel
  CHECK(error_of({{"one.json", one}}, "nvlink-2").find("two different channel counts") != std::string::npos);
  nlohmann::json bad = bench(6e-6, 0, 0);
  bad["benchmarks"][3]["enqueue_seconds"] = -1;
  CHECK(error_of({{"bad.json", bad}}, "nvlink-2").find("bad.json: /benchmarks/3/enqueue_seconds: expected a number > 0") !=
        std::string::npos);
  // Costs that fall with more channels are not an issue cost.
  CHECK(error_of({{"neg.json", bench(6e-6, -0.1e-6, 0)}}, "nvlink-2").find("non-negative") != std::string::npos);
}

TEST_CASE("a profile's collective_issue survives the JSON round trip and is checked on load") {
  const RooflineCosts costs(testing::test_gpu());
  CalibrationProfile p = calib::fit_profile(testing::points_from(costs, {{64, 32}}), testing::test_environment());
  CHECK_FALSE(parse_profile(profile_to_json(p), "p.json").collective_issue.has_value());
  p.collective_issue = CollectiveIssue{.per_gpu_s = 6e-6, .per_gpu_channel_s = 4e-8};
  p.collective_issue_fit = {{"points", 21}};
  const CalibrationProfile back = parse_profile(profile_to_json(p), "p.json");
  REQUIRE(back.collective_issue.has_value());
  CHECK(back.collective_issue->per_gpu_s == 6e-6);
  CHECK(back.collective_issue->per_gpu_channel_s == 4e-8);
  CHECK(back.collective_issue_fit.at("points") == 21);
  nlohmann::json doc = profile_to_json(p);
  doc["collective_issue"]["per_gpu_s"] = -1;
  try {
    (void)parse_profile(doc, "p.json");
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("p.json: /collective_issue/per_gpu_s") != std::string::npos);
  }
  doc = profile_to_json(p);
  doc["collective_issue"]["launch_s"] = 1e-6;
  CHECK_THROWS_AS(parse_profile(doc, "p.json"), InputError);
}

TEST_CASE("the committed 2 x H200 profile carries the issue cost fitted from run 9") {
  const CalibrationProfile two =
      load_profile(std::string(KVSIM_SOURCE_DIR) + "/calibration/profiles/h200/h200-nvlink-2gpu.json");
  REQUIRE(two.collective_issue.has_value());
  CHECK(two.collective_issue->per_gpu_s > 0);
  CHECK(two.collective_issue->per_gpu_channel_s > 0);
  CHECK(two.collective_issue_fit.at("files").size() == 10);
  CHECK(two.collective_issue_fit.at("max_relative_residual").get<double>() < 0.10);
}
