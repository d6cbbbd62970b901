// `kvsim validate` through the binary: the roofline stand-in end to end, and bad input (exit 2).
#include "tests/support/catch.h"

#include <string>

#include "tests/support/run_kvsim.h"
#include "tests/support/temp_dir.h"
#include "tests/validate/validate_scenario.h"

using kvsim::testing::TempDir;

using kvsim::testing::Outcome;
using kvsim::testing::run_kvsim;

TEST_CASE("kvsim validate --measure roofline writes the comparison and says nothing was measured") {
  TempDir dir;
  const std::string scenario = dir.write("s.json", kvsim::testing::validate_scenario_json().dump());
  const auto out = dir.path() / "val";
  const Outcome o = run_kvsim("validate " + scenario + " --profile " + kvsim::testing::h200_profile() +
                              " --measure roofline --out " + out.string());
  INFO(o.output);
  REQUIRE(o.status == 0);
  CHECK(o.output.find("| validate-small |") != std::string::npos);
  const auto doc = nlohmann::json::parse(kvsim::testing::read_file(out / "validation.json"));
  CHECK(doc["measured_by"].get<std::string>().find("nothing was measured") != std::string::npos);
  CHECK(std::filesystem::exists(out / "steps.csv"));
  CHECK(std::filesystem::exists(out / "step_times.svg"));
}

TEST_CASE("kvsim validate on bad input exits 2 with one line and writes nothing") {
  TempDir dir;
  auto doc = kvsim::testing::validate_scenario_json();
  doc["kv_policy"]["budget"] = -3;
  const std::string scenario = dir.write("bad.json", doc.dump());
  const auto out = dir.path() / "val";
  const Outcome o = run_kvsim("validate " + scenario + " --profile " + kvsim::testing::h200_profile() +
                              " --measure roofline --out " + out.string());
  CHECK(o.status == 2);
  CHECK(std::count(o.output.begin(), o.output.end(), '\n') == 1);
  CHECK(o.output.rfind("kvsim: " + scenario + ": /kv_policy/budget", 0) == 0);
  CHECK_FALSE(std::filesystem::exists(out));

  const std::string good = dir.write("good.json", kvsim::testing::validate_scenario_json().dump());
  const std::string not_a_profile = dir.write("p.json", "{\"not\": \"a profile\"}");
  const Outcome p = run_kvsim("validate " + good + " --profile " + not_a_profile + " --measure roofline --out " + out.string());
  CHECK(p.status == 2);
  CHECK(p.output.rfind("kvsim: " + not_a_profile, 0) == 0);
  CHECK_FALSE(std::filesystem::exists(out));
}

TEST_CASE("kvsim validate --measure cuda refuses a policy the runtime cannot run, before touching a GPU") {
  TempDir dir;
  auto doc = kvsim::testing::validate_scenario_json();
  doc["model"] = "llava-1.5-7b";
  doc["workload"]["prefix_tokens"] = 35;
  doc["workload"]["images"] = {{"count", 1}, {"tokens_per_image", 576}};
  doc["workload"]["prompt_tokens"] = {{"uniform", {20, 100}}};
  doc.erase("kv_policy");
  // FastV drops image tokens from later layers' hidden states: the runtime has no such filter.
  doc["attention_policy"] = {{"kind", "fastv"}, {"after_layer", 2}, {"keep", 0.5}};
  const std::string scenario = dir.write("fastv.json", doc.dump());
  const auto out = dir.path() / "val";
  const Outcome o = run_kvsim("validate " + scenario + " --profile " + kvsim::testing::h200_profile() +
                              " --measure cuda --layers 1 --out " + out.string());
  INFO(o.output);
  if (o.output.find("built without the CUDA backend") != std::string::npos) {
    WARN("this kvsim has no CUDA backend: the cuda executor's input checks were not exercised");
    return;
  }
  CHECK(o.status == 2);
  CHECK(std::count(o.output.begin(), o.output.end(), '\n') == 1);
  CHECK(o.output.rfind("kvsim: " + scenario + ": /attention_policy", 0) == 0);
  CHECK(o.output.find("prefill filter") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(out));
}
