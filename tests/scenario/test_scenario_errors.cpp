// Every class of bad scenario input is rejected with one line: file, JSON pointer, expected, found.
#include "tests/support/catch.h"

#include <string>

#include "sim/core/input_error.h"
#include "sim/run/simulation.h"
#include "sim/scenario/scenario.h"
#include "tests/scenario/small_scenario.h"
#include "tests/support/temp_dir.h"

using kvsim::InputError;
using kvsim::testing::small_scenario;
using kvsim::testing::TempDir;

namespace {

// The message load_scenario gives for `doc` written to a file ("" if it loads and simulates).
std::string error_for(const nlohmann::json& doc, bool simulate = false) {
  TempDir dir;
  const std::string path = dir.write("s.json", doc.dump());
  try {
    const kvsim::Scenario s = kvsim::load_scenario(path);
    if (simulate) kvsim::simulate(s);
  } catch (const InputError& e) {
    const std::string msg = e.what();
    REQUIRE(msg.find('\n') == std::string::npos);  // one line
    REQUIRE(msg.rfind(path, 0) == 0);              // starts with the file
    return msg.substr(path.size());
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The message simulating the small scenario gives with `csv` as its trace, less the trace's path
// (which it must start with).
std::string trace_error(const std::string& csv) {
  TempDir dir;
  const std::string trace = dir.write("t.csv", csv);
  auto doc = small_scenario();
  doc["workload"] = {{"arrival", "trace"}, {"trace", trace}};
  const std::string path = dir.write("s.json", doc.dump());
  try {
    kvsim::simulate(kvsim::load_scenario(path));
  } catch (const InputError& e) {
    const std::string msg = e.what();
    REQUIRE(msg.rfind(trace, 0) == 0);
    return msg.substr(trace.size());
  }
  return "";
}

}  // namespace

TEST_CASE("the small scenario is valid") { CHECK(error_for(small_scenario(), true).empty()); }

TEST_CASE("a missing file is named") {
  try {
    kvsim::load_scenario("/nonexistent/kvsim.json");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "/nonexistent/kvsim.json: /: expected a readable JSON file, found no such file or no permission");
  }
}

TEST_CASE("malformed JSON gives line and column") {
  TempDir dir;
  const std::string path = dir.write("bad.json", "{\n  \"schema_version\": 1,\n  \"model\": ,\n}");
  try {
    kvsim::load_scenario(path);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == path + ": /: expected valid JSON, found a syntax error at line 3, column 12");
  }
}

TEST_CASE("a missing key is named by its pointer") {
  auto doc = small_scenario();
  doc.erase("model");
  CHECK(error_for(doc) == ": /model: expected a value for this required key, found nothing");
  doc = small_scenario();
  doc["workload"].erase("requests");
  CHECK(error_for(doc) == ": /workload/requests: expected a value for this required key, found nothing");
}

TEST_CASE("a wrong type is reported with what was found") {
  auto doc = small_scenario();
  doc["hardware"]["gpus"] = "eight";
  CHECK(error_for(doc) == ": /hardware/gpus: expected an integer in [1, 4096], found the string \"eight\"");
  doc = small_scenario();
  doc["scheduler"]["chunked_prefill"] = 1;
  CHECK(error_for(doc) == ": /scheduler/chunked_prefill: expected true or false, found the number 1");
}

TEST_CASE("out-of-range values are rejected") {
  auto doc = small_scenario();
  doc["workload"]["rate_per_s"] = -2;
  CHECK(contains(error_for(doc), "/workload/rate_per_s: expected a number in ["));
  doc = small_scenario();
  doc["workload"]["prompt_tokens"] = {{"uniform", {100, 50}}};
  CHECK(error_for(doc) == ": /workload/prompt_tokens/uniform/1: expected max >= min (100), found 50");
  doc = small_scenario();
  doc["hardware"]["reserve_fraction"] = 1.5;
  CHECK(contains(error_for(doc), "/hardware/reserve_fraction: expected a number in [0, 0.9], found the number 1.5"));
}

TEST_CASE("unknown keys are rejected, so a typo never passes silently") {
  auto doc = small_scenario();
  doc["scheduler"]["max_batch_sise"] = 8;
  const std::string msg = error_for(doc);
  CHECK(contains(msg, ": /scheduler/max_batch_sise: expected one of the keys max_batch_size, max_batched_tokens"));
  CHECK(contains(msg, "found the unknown key \"max_batch_sise\""));
  doc = small_scenario();
  doc["wrkload"] = doc["workload"];
  CHECK(contains(error_for(doc), ": /wrkload: expected one of the keys"));
}

TEST_CASE("an empty workload is rejected") {
  auto doc = small_scenario();
  doc["workload"]["requests"] = 0;
  CHECK(error_for(doc) == ": /workload/requests: expected an integer in [1, 100000000], found the number 0");
  CHECK(trace_error("arrival_s,prompt_tokens,output_tokens\n") ==
        ": /: expected at least one request after the header, found none");
}

TEST_CASE("a bad trace line names its line") {
  CHECK(trace_error("arrival_s,prompt_tokens,output_tokens\n0.0,100,10\n0.5,abc,10\n") ==
        ": line 3: expected prompt_tokens, an integer >= 1, found \"abc\"");
}

TEST_CASE("a model that does not fit at all is rejected before running") {
  auto doc = small_scenario();
  doc["model"] = "llama-3-70b";
  doc["hardware"] = {{"gpu", "h100"}, {"gpus", 1}};
  const std::string msg = error_for(doc, true);
  CHECK(contains(msg, ": /hardware/gpus: expected GPUs with room for the weights shard ("));
  CHECK(contains(msg, "found 1 x h100 with 79.65 GiB each"));
}

TEST_CASE("a wrong schema version and an unknown preset are rejected") {
  auto doc = small_scenario();
  doc["schema_version"] = 2;
  CHECK(error_for(doc) == ": /schema_version: expected 1, found 2");
  doc = small_scenario();
  doc["model"] = "llama-4";
  CHECK(contains(error_for(doc), ": /model: expected a model preset (\"llama-3-70b\""));
}
