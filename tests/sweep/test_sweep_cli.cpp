// kvsim sweep end to end: results.csv, resume after an interruption, shards, determinism across
// thread counts, infeasible points, and bad input (exit 2, nothing written).
#include "tests/support/catch.h"

#include <algorithm>
#include <fstream>

#include "tests/support/temp_dir.h"
#include "tests/sweep/sweep_test_util.h"

using kvsim::testing::count_lines;
using kvsim::testing::read_file;
using kvsim::testing::run_kvsim;
using kvsim::testing::TempDir;

namespace {

std::size_t point_files(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "points")) n += e.path().extension() == ".json";
  return n;
}

}  // namespace

TEST_CASE("kvsim sweep writes a point file per point and results.csv") {
  TempDir dir;
  const std::string sweep = dir.write("sweep.json", kvsim::testing::tiny_sweep().dump());
  const auto out = dir.path() / "out";
  const auto o = run_kvsim("sweep " + sweep + " --out " + out.string() + " --jobs 2 --no-progress");
  REQUIRE(o.status == 0);
  CHECK(o.output.find("sweep: 6 points: 6 run, 0 already done, 0 could not run") == 0);
  CHECK(point_files(out) == 6);
  const std::string csv = read_file(out / "results.csv");
  CHECK(count_lines(csv) == 7);
  CHECK(csv.find("index,id,name,kv_policy.budget,placement,status,") == 0);
  CHECK(std::filesystem::exists(out / "sweep.json"));
  // No temporary files are left in points/.
  for (const auto& e : std::filesystem::directory_iterator(out / "points")) CHECK(e.path().filename().string()[0] != '.');
}

TEST_CASE("an interrupted sweep resumes: finished points are skipped and kept, the rest run") {
  TempDir dir;
  const std::string sweep = dir.write("sweep.json", kvsim::testing::tiny_sweep().dump());
  const auto out = dir.path() / "out";
  REQUIRE(run_kvsim("sweep " + sweep + " --out " + out.string() + " --jobs 2 --quiet").status == 0);
  const std::string full = read_file(out / "results.csv");
  // Simulate an interruption after some points: remove three point files and results.csv, and mark
  // the survivors so a rewrite would show.
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(out / "points")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() == 6);
  for (int i = 0; i < 3; ++i) std::filesystem::remove(files[static_cast<std::size_t>(i)]);
  std::filesystem::remove(out / "results.csv");
  for (int i = 3; i < 6; ++i) {
    auto record = nlohmann::json::parse(read_file(files[static_cast<std::size_t>(i)]));
    record["marker"] = "kept";
    std::ofstream(files[static_cast<std::size_t>(i)]) << record.dump();
  }
  const auto o = run_kvsim("sweep " + sweep + " --out " + out.string() + " --jobs 2 --no-progress");
  REQUIRE(o.status == 0);
  CHECK(o.output.find("6 points: 3 run, 3 already done") != std::string::npos);
  for (int i = 0; i < 6; ++i) {
    const auto record = nlohmann::json::parse(read_file(files[static_cast<std::size_t>(i)]));
    CHECK(record.contains("marker") == (i >= 3));
  }
  CHECK(read_file(out / "results.csv") == full);
}

TEST_CASE("shards fill one folder; --merge assembles results.csv; threads do not change results") {
  TempDir dir;
  const std::string sweep = dir.write("sweep.json", kvsim::testing::tiny_sweep().dump());
  REQUIRE(run_kvsim("sweep " + sweep + " --out " + (dir.path() / "one").string() + " --jobs 1 --quiet").status == 0);
  REQUIRE(run_kvsim("sweep " + sweep + " --out " + (dir.path() / "three").string() + " --jobs 3 --quiet").status == 0);
  const std::string serial = read_file(dir.path() / "one" / "results.csv");
  CHECK(read_file(dir.path() / "three" / "results.csv") == serial);

  const auto out = dir.path() / "shards";
  const auto s0 = run_kvsim("sweep " + sweep + " --out " + out.string() + " --shard 0/2 --no-progress");
  REQUIRE(s0.status == 0);
  CHECK(s0.output.find("(shard 0/2: 3 of them): 3 run") != std::string::npos);
  CHECK(count_lines(read_file(out / "results.csv")) == 4);  // its own points so far
  REQUIRE(run_kvsim("sweep " + sweep + " --out " + out.string() + " --shard 1/2 --quiet").status == 0);
  CHECK(point_files(out) == 6);
  const auto m = run_kvsim("sweep " + sweep + " --out " + out.string() + " --merge");
  REQUIRE(m.status == 0);
  CHECK(m.output.find("merged 6 of 6 points") != std::string::npos);
  CHECK(read_file(out / "results.csv") == serial);
}

TEST_CASE("a point that cannot run is a result row, not a failure of the sweep") {
  TempDir dir;
  nlohmann::json doc = kvsim::testing::tiny_sweep();
  // LLaMA-3-8B on one 16 GiB GPU does not fit with the reserve.
  doc["grid"] = {{"/hardware/gpu", {"h200", {{"preset", "h200"}, {"memory_gib", 16}}}}, {"/hardware/gpus", {1, 2}}};
  const std::string sweep = dir.write("sweep.json", doc.dump());
  const auto out = dir.path() / "out";
  const auto o = run_kvsim("sweep " + sweep + " --out " + out.string() + " --no-progress");
  REQUIRE(o.status == 0);
  CHECK(o.output.find("4 points: 4 run, 0 already done, 1 could not run") != std::string::npos);
  const std::string csv = read_file(out / "results.csv");
  CHECK(count_lines(csv) == 5);
  CHECK(csv.find(",error,") != std::string::npos);
  CHECK(csv.find("room for the weights") != std::string::npos);
}

TEST_CASE("a bad sweep exits 2 with one line and writes nothing") {
  TempDir dir;
  nlohmann::json doc = kvsim::testing::tiny_sweep();
  doc["grid"]["/kv_policy/budget"] = {64, "lots"};
  const std::string sweep = dir.write("sweep.json", doc.dump());
  const auto out = dir.path() / "out";
  const auto o = run_kvsim("sweep " + sweep + " --out " + out.string());
  CHECK(o.status == 2);
  CHECK(count_lines(o.output) == 1);
  CHECK(o.output.find("kvsim: " + sweep + " (point kv_policy.budget=lots") == 0);
  CHECK(o.output.find("/kv_policy/budget") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(out));
  CHECK(run_kvsim("sweep " + sweep + " --out " + out.string() + " --shard 3/2").status == 2);
}
