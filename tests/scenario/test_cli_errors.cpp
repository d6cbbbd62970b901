// The kvsim binary: bad input gives one line on stderr and exit status 2, and writes nothing.
#include "tests/support/catch.h"

#include <string>

#include "tests/scenario/small_scenario.h"
#include "tests/support/run_kvsim.h"
#include "tests/support/temp_dir.h"

using kvsim::testing::TempDir;

using kvsim::testing::Outcome;
using kvsim::testing::run_kvsim;

TEST_CASE("kvsim run on a bad scenario exits 2 with one line and writes nothing") {
  TempDir dir;
  auto doc = kvsim::testing::small_scenario();
  doc["hardware"]["gpus"] = 0;
  const std::string path = dir.write("bad.json", doc.dump());
  const auto out_dir = dir.path() / "out";
  const Outcome o = run_kvsim("run " + path + " --out " + out_dir.string());
  CHECK(o.status == 2);
  CHECK(o.output == "kvsim: " + path + ": /hardware/gpus: expected an integer in [1, 4096], found the number 0\n");
  CHECK_FALSE(std::filesystem::exists(out_dir));
}

TEST_CASE("kvsim run on a good scenario writes summary, requests and trace") {
  TempDir dir;
  const std::string path = dir.write("good.json", kvsim::testing::small_scenario().dump());
  const auto out_dir = dir.path() / "out";
  const Outcome o = run_kvsim("run " + path + " --quiet --out " + out_dir.string());
  CHECK(o.status == 0);
  CHECK(o.output.empty());
  CHECK(std::filesystem::file_size(out_dir / "summary.json") > 100);
  CHECK(std::filesystem::file_size(out_dir / "requests.csv") > 100);
  CHECK(std::filesystem::file_size(out_dir / "trace.json") > 100);
  // No temporary files are left behind.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(out_dir)) files += entry.is_regular_file();
  CHECK(files == 3);
}

TEST_CASE("kvsim with an unknown verb or option exits 2") {
  CHECK(run_kvsim("frobnicate").status == 2);
  CHECK(run_kvsim("run --no-such-option").status == 2);
}
