// Sweep expansion, point ids, shards, results.csv and the progress line, without running the binary.
#include "tests/support/catch.h"

#include <algorithm>
#include <functional>
#include <set>

#include "sim/core/input_error.h"
#include "sim/sweep/point_store.h"
#include "sim/sweep/progress.h"
#include "sim/sweep/results_csv.h"
#include "sim/sweep/sweep_runner.h"
#include "sim/sweep/sweep_spec.h"
#include "tests/support/temp_dir.h"
#include "tests/sweep/sweep_test_util.h"

using namespace kvsim;
using kvsim::testing::TempDir;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a grid expands to the cartesian product, last key in the file varying fastest") {
  TempDir dir;
  // Keys deliberately out of alphabetical order: the file's order decides.
  const std::string text = R"({"schema_version": 1, "base": )" + testing::tiny_base().dump() +
                           R"(, "grid": {"/seed": [1, 2], "/kv_policy/budget": [64, 128, 256]}})";
  const auto spec = sweep::load_sweep(dir.write("s.json", text));
  REQUIRE(spec.points.size() == 6);
  CHECK(spec.axes == std::vector<std::string>{"seed", "kv_policy.budget"});
  CHECK(spec.points[0].name == "seed=1,kv_policy.budget=64");
  CHECK(spec.points[1].name == "seed=1,kv_policy.budget=128");
  CHECK(spec.points[3].name == "seed=2,kv_policy.budget=64");
  CHECK(spec.points[4].scenario["kv_policy"]["budget"] == 128);
  CHECK(spec.points[4].scenario["seed"] == 2);
  std::set<std::string> ids;
  for (const auto& p : spec.points) ids.insert(p.id);
  CHECK(ids.size() == 6);
  // Ids depend on the scenario only: the same point in another sweep keeps its id.
  const auto again = sweep::parse_sweep(nlohmann::json::parse(text), "other.json", dir.path());
  bool found = false;
  for (const auto& p : again.points) found |= p.id == spec.points[4].id && p.set == spec.points[4].set;
  CHECK(found);
}

TEST_CASE("points, the base's variants and the grid multiply") {
  nlohmann::json base = testing::tiny_base();
  base["variants"] = {{{"name", "tp"}, {"set", {{"/placement", {{"kind", "tensor_parallel"}}}}}},
                      {{"name", "be"}, {"set", {{"/placement", {{"kind", "best_effort"}}}}}}};
  const nlohmann::json doc{{"schema_version", 1}, {"base", base},
                           {"points", {{{"name", "short"}, {"set", {{"/workload/output_tokens", 8}}}}, {{"set", {{"/seed", 3}}}}}},
                           {"grid", {{"/kv_policy/budget", {64, 128}}}}};
  const auto spec = sweep::parse_sweep(doc, "s.json", ".");
  CHECK(spec.axes == std::vector<std::string>{"variant", "point", "kv_policy.budget"});
  REQUIRE(spec.points.size() == 8);
  CHECK(spec.points[0].name == "variant=tp,point=short,kv_policy.budget=64");
  CHECK(spec.points[7].name == "variant=be,point=p1,kv_policy.budget=128");
  CHECK(spec.points[7].scenario["placement"]["kind"] == "best_effort");
  CHECK(spec.points[7].scenario["seed"] == 3);
  CHECK_FALSE(spec.points[7].scenario.contains("variants"));
  sweep::validate_points(spec);
}

TEST_CASE("bad sweeps fail with the file and pointer") {
  nlohmann::json doc = testing::tiny_sweep();
  doc["grid"]["kv_policy/budget"] = {1};
  CHECK(error_of([&] { sweep::parse_sweep(doc, "s.json", "."); }).find("s.json: /grid/kv_policy~1budget: expected a JSON pointer") == 0);

  doc = testing::tiny_sweep();
  doc["grid"]["/kv_policy/budget"] = nlohmann::json::array();
  CHECK(error_of([&] { sweep::parse_sweep(doc, "s.json", "."); }) ==
        "s.json: /grid/~1kv_policy~1budget: expected at least one value, found an empty array");

  doc = testing::tiny_sweep();
  doc["grid"]["/no_such/field"] = {1};
  CHECK(error_of([&] { sweep::parse_sweep(doc, "s.json", "."); }).find("/grid/~1no_such~1field") != std::string::npos);

  doc = testing::tiny_sweep();
  doc.erase("grid");
  CHECK(error_of([&] { sweep::parse_sweep(doc, "s.json", "."); }) == "s.json: /: expected a \"grid\" or a \"points\" list, found neither");

  // A value the scenario rejects fails up front, naming the point.
  doc = testing::tiny_sweep();
  doc["grid"]["/hardware/gpus"] = {2, 0};
  const auto spec = sweep::parse_sweep(doc, "s.json", ".");
  const std::string e = error_of([&] { sweep::validate_points(spec); });
  CHECK(e.find("s.json (point ") == 0);
  CHECK(e.find("hardware.gpus=0") != std::string::npos);
  CHECK(e.find("/hardware/gpus: expected an integer in [1, 4096], found the number 0") != std::string::npos);

  // So does a bad placement option (checked by building the placement once).
  doc = testing::tiny_sweep();
  doc["grid"]["/placement"] = {{{"kind", "fair_copying"}, {"copy_budget", -3}}};
  const auto spec2 = sweep::parse_sweep(doc, "s.json", ".");
  CHECK(error_of([&] { sweep::validate_points(spec2); }).find("/placement/copy_budget") != std::string::npos);
}

TEST_CASE("shards and ranks partition the points") {
  nlohmann::json doc = testing::tiny_sweep();
  doc["grid"]["/seed"] = {1, 2, 3, 4, 5};
  const auto spec = sweep::parse_sweep(doc, "s.json", ".");
  REQUIRE(spec.points.size() == 30);
  for (int shards : {1, 3, 7}) {
    for (int ranks : {1, 2, 4}) {
      std::vector<int> seen(spec.points.size(), 0);
      for (int s = 0; s < shards; ++s)
        for (int r = 0; r < ranks; ++r)
          for (std::size_t i : sweep::points_of(spec, s, shards, r, ranks)) {
            ++seen[i];
            CHECK(static_cast<int>(i % static_cast<std::size_t>(shards)) == s);
          }
      CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
    }
  }
  int i = -1, n = -1;
  sweep::parse_shard("2/5", i, n);
  CHECK((i == 2 && n == 5));
  for (const char* bad : {"5/5", "1", "-1/3", "a/b", "1/0", "1/3x"})
    CHECK(error_of([&] { sweep::parse_shard(bad, i, n); }).find("--shard: expected I/N") != std::string::npos);
}

TEST_CASE("results.csv has one row per finished point, grid numbers as numbers") {
  const auto spec = sweep::parse_sweep(testing::tiny_sweep(), "s.json", ".");
  nlohmann::json summary = nlohmann::json::parse(R"({"requests": {"completed": 12, "rejected": 0},
      "throughput": {"output_tokens_per_s": 100.5, "requests_per_s": 2, "decode_only_tokens_per_s": 150},
      "latency_s": {"ttft": {"p50": 0.1, "p90": 0.2, "p99": 0.3}, "tpot": {"p50": 0.01, "p90": 0.02, "p99": 0.03},
                    "e2e": {"p50": 1, "p90": 2, "p99": 3}},
      "imbalance": {"kv_bytes_max_over_mean": 1.1, "attention_max_over_mean": 1.2},
      "gpus": [{"weights_bytes": 10, "kv_capacity_bytes": 50, "peak_kv_bytes": 20, "attention_s": 1}],
      "placement": {"extra_copies": 0}, "placement_quality": {"cost_over_bound": 1.5},
      "peak_running_requests": 4, "steps": 99, "simulated_s": 6, "wall_s": 0.01})");
  std::vector<nlohmann::json> records(spec.points.size());
  records[1] = sweep::point_record(spec.points[1], summary, {});
  records[4] = sweep::failed_point_record(spec.points[4], "x.json: /hardware/gpus: expected room, found none");
  const std::string csv = sweep::make_results_csv(spec, records);
  CHECK(testing::count_lines(csv) == 3);
  const std::string header = csv.substr(0, csv.find('\n'));
  CHECK(header.find("index,id,name,kv_policy.budget,placement,status,completed,rejected,output_tokens_per_s,") == 0);
  CHECK(header.find(",ttft_p99_s,") != std::string::npos);
  CHECK(header.find(",tpot_p99_s,") != std::string::npos);
  CHECK(header.substr(header.size() - 6) == ",error");
  const std::string row1 = "1," + spec.points[1].id + ",\"kv_policy.budget=64,placement=best_effort\",64,best_effort,ok,12,0,100.5,";
  CHECK(csv.find(row1) != std::string::npos);
  CHECK(csv.find(",error,") != std::string::npos);
  CHECK(csv.find("expected room") != std::string::npos);
}

TEST_CASE("point files read back only with the right id") {
  TempDir dir;
  const auto spec = sweep::parse_sweep(testing::tiny_sweep(), "s.json", ".");
  CHECK_FALSE(sweep::read_point(dir.path(), spec.points[0]));
  sweep::write_point(dir.path(), sweep::failed_point_record(spec.points[0], "no"));
  REQUIRE(sweep::read_point(dir.path(), spec.points[0]));
  CHECK(sweep::read_point(dir.path(), spec.points[0])->at("status") == "error");
  // A truncated file (a crash in the middle of a non-atomic copy) counts as not done.
  dir.write("points/" + spec.points[1].id + ".json", "{\"id\": \"" + spec.points[1].id + "\", \"sta");
  CHECK_FALSE(sweep::read_point(dir.path(), spec.points[1]));
}

TEST_CASE("the progress line shows done, rate and time left") {
  CHECK(sweep::Progress::line(250, 1000, 10.0, "points", 0) == "250/1000 points  25.0/s  ETA 0:30");
  CHECK(sweep::Progress::line(1000, 1000, 40.0, "points", 0) == "1000/1000 points  25.0/s  elapsed 0:40");
  CHECK(sweep::Progress::line(5, 10, 1.0, "points", 10) == "[#####.....] 5/10 points  5.0/s  ETA 0:01");
  CHECK(sweep::value_label(nlohmann::json{{"kind", "fair_copying"}, {"copy_budget", 4}}) == "fair_copying copy_budget=4");
  CHECK(sweep::value_label(256) == "256");
}
