// Golden test: the small scenario's summary.json, field by field (numbers to a relative 1e-9),
// against tests/golden/small_summary.json. After an intended change of the model, regenerate with
//   KVSIM_UPDATE_GOLDEN=1 ctest -R golden
// and review the diff like code.
#include "tests/support/catch.h"

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "sim/core/atomic_file.h"
#include "sim/metrics/run_outputs.h"
#include "sim/run/simulation.h"
#include "sim/scenario/scenario.h"
#include "tests/scenario/small_scenario.h"
#include "tests/support/temp_dir.h"

namespace {

// Paths where `actual` differs from `expected` (numbers compared to a relative 1e-9).
void diff(const nlohmann::json& expected, const nlohmann::json& actual, const std::string& path,
          std::vector<std::string>& out) {
  if (expected.is_number() && actual.is_number()) {
    const double e = expected.get<double>(), a = actual.get<double>();
    if (std::fabs(e - a) > 1e-9 * std::max(1.0, std::fabs(e))) out.push_back(path + ": " + expected.dump() + " != " + actual.dump());
    return;
  }
  if (expected.type() != actual.type()) {
    out.push_back(path + ": type differs");
    return;
  }
  if (expected.is_object()) {
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      if (!actual.contains(it.key())) out.push_back(path + "/" + it.key() + ": missing");
      else diff(it.value(), actual[it.key()], path + "/" + it.key(), out);
    }
    for (auto it = actual.begin(); it != actual.end(); ++it)
      if (!expected.contains(it.key())) out.push_back(path + "/" + it.key() + ": unexpected");
  } else if (expected.is_array()) {
    if (expected.size() != actual.size()) out.push_back(path + ": array size differs");
    else for (std::size_t i = 0; i < expected.size(); ++i) diff(expected[i], actual[i], path + "/" + std::to_string(i), out);
  } else if (expected != actual) {
    out.push_back(path + ": " + expected.dump() + " != " + actual.dump());
  }
}

}  // namespace

TEST_CASE("golden summary of the small scenario") {
  const auto s = kvsim::parse_scenario(kvsim::testing::small_scenario(), "s.json", ".");
  const nlohmann::json actual = kvsim::make_summary(kvsim::simulate(s), {.record_wall_clock = false});
  const std::filesystem::path golden = std::filesystem::path(KVSIM_SOURCE_DIR) / "tests/golden/small_summary.json";
  if (std::getenv("KVSIM_UPDATE_GOLDEN")) kvsim::write_file_atomically(golden, actual.dump(2) + "\n");
  const std::string text = kvsim::testing::read_file(golden);
  REQUIRE_FALSE(text.empty());
  std::vector<std::string> differences;
  diff(nlohmann::json::parse(text), actual, "", differences);
  for (const auto& d : differences) UNSCOPED_INFO(d);
  CHECK(differences.empty());
  // The numbers a reader checks first, spelled out.
  CHECK(actual["requests"]["completed"] == 40);
  CHECK(actual["requests"]["rejected"] == 0);
}
