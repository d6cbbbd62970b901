// Determinism: the same scenario and seed give byte-identical summary.json and requests.csv;
// another seed gives other arrivals.
#include "tests/support/catch.h"

#include "sim/metrics/run_outputs.h"
#include "sim/run/simulation.h"
#include "sim/scenario/scenario.h"
#include "tests/scenario/small_scenario.h"
#include "tests/support/temp_dir.h"

TEST_CASE("same scenario and seed, byte-identical outputs") {
  const auto s = kvsim::parse_scenario(kvsim::testing::small_scenario(), "s.json", ".");
  const kvsim::OutputOptions opts{.record_wall_clock = false};
  kvsim::testing::TempDir a, b;
  kvsim::write_run_outputs(kvsim::simulate(s), a.path(), opts);
  kvsim::write_run_outputs(kvsim::simulate(s), b.path(), opts);
  for (const char* f : {"summary.json", "requests.csv", "trace.json"}) {
    const std::string x = kvsim::testing::read_file(a.path() / f);
    REQUIRE(x.size() > 100);
    CHECK(x == kvsim::testing::read_file(b.path() / f));
  }
}

TEST_CASE("another seed gives another run") {
  auto doc = kvsim::testing::small_scenario();
  const auto s1 = kvsim::parse_scenario(doc, "s.json", ".");
  doc["seed"] = 8;
  const auto s2 = kvsim::parse_scenario(doc, "s.json", ".");
  CHECK(kvsim::make_requests_csv(kvsim::simulate(s1)) != kvsim::make_requests_csv(kvsim::simulate(s2)));
}
