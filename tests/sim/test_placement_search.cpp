// cost_search: the placement whose decode step, priced by the scenario's own costs, is fastest.
#include "tests/support/catch.h"

#include <algorithm>
#include <string>

#include "sim/core/input_error.h"
#include "sim/run/simulation.h"
#include "sim/scenario/scenario.h"
#include "tests/scenario/small_scenario.h"

namespace {

nlohmann::json skewed_scenario(const nlohmann::json& placement) {
  auto doc = kvsim::testing::small_scenario();
  doc["kv_policy"] = {{"kind", "adakv"}, {"budget", 512}, {"skew", "zipf-1.0"}};
  doc["workload"]["prompt_tokens"] = {{"uniform", {2048, 4096}}};
  doc["placement"] = placement;
  return doc;
}

}  // namespace

TEST_CASE("cost_search keeps the candidate with the fastest priced decode step") {
  const auto s = kvsim::parse_scenario(skewed_scenario({{"kind", "cost_search"}}), "s.json", ".");
  const kvsim::RunResult r = kvsim::simulate(s);
  REQUIRE(r.placement["kind"] == "cost_search");
  const nlohmann::json& search = r.placement["search"]["cost_search"];
  REQUIRE(search["candidates"].size() == 5);
  double chosen_s = -1, fastest_s = 1e300;
  for (const auto& c : search["candidates"]) {
    REQUIRE(c.contains("decode_step_s"));
    const double t = c["decode_step_s"].get<double>();
    REQUIRE(t > 0);
    fastest_s = std::min(fastest_s, t);
    if (c["name"] == search["chosen"]) chosen_s = t;
  }
  CHECK(chosen_s == fastest_s);
  // The search has no options of its own: a misspelt or foreign key is an error at its pointer.
  try {
    kvsim::simulate(kvsim::parse_scenario(skewed_scenario({{"kind", "cost_search"}, {"copy_budget", 3}}), "s.json", "."));
    FAIL("no error");
  } catch (const kvsim::InputError& e) {
    CHECK(std::string(e.what()).find("s.json: /placement/copy_budget: expected one of the keys kind") == 0);
  }
}

TEST_CASE("cost_search decodes no slower than tensor parallelism (within 1%) on skewed budgets") {
  const kvsim::RunResult tp = kvsim::simulate(kvsim::parse_scenario(skewed_scenario({{"kind", "tensor_parallel"}}), "s.json", "."));
  const kvsim::RunResult cs = kvsim::simulate(kvsim::parse_scenario(skewed_scenario({{"kind", "cost_search"}}), "s.json", "."));
  REQUIRE(tp.step_mix.time_s[0] > 0);
  REQUIRE(cs.step_mix.time_s[0] > 0);
  const double tp_rate = static_cast<double>(tp.step_mix.decode_tokens[0]) / tp.step_mix.time_s[0];
  const double cs_rate = static_cast<double>(cs.step_mix.decode_tokens[0]) / cs.step_mix.time_s[0];
  CHECK(cs_rate >= tp_rate * 0.99);
}
