// Scenario parsing: presets, custom shapes, defaults, variants.
#include "tests/support/catch.h"

#include "sim/core/input_error.h"
#include "sim/scenario/scenario.h"
#include "tests/scenario/small_scenario.h"

using kvsim::testing::small_scenario;

TEST_CASE("presets and defaults fill the scenario") {
  const kvsim::Scenario s = kvsim::parse_scenario(small_scenario(), "s.json", ".");
  CHECK(s.model.layers == 32);
  CHECK(s.model.kv_heads == 8);
  CHECK(s.model.group_size() == 4);
  CHECK(s.gpu.name == "h200");
  CHECK(s.gpus == 2);
  CHECK(s.scheduler.max_batch_size == 16);
  CHECK(s.scheduler.chunked_prefill);
  CHECK(s.workload.prompt_tokens.min == 256);
  CHECK(s.workload.prompt_tokens.max == 2048);
  CHECK(s.reserve_fraction == Approx(0.1));
  CHECK(s.executor == kvsim::ExecutorKind::roofline);
}

TEST_CASE("a custom model needs every shape; a preset can be overridden") {
  auto doc = small_scenario();
  doc["model"] = {{"name", "tiny"}, {"layers", 2}, {"hidden", 64}, {"ffn", 128}, {"q_heads", 4},
                  {"kv_heads", 2}, {"head_dim", 16}, {"vocab", 100}};
  const kvsim::Scenario s = kvsim::parse_scenario(doc, "s.json", ".");
  CHECK(s.model.name == "tiny");
  CHECK(s.model.group_size() == 2);
  doc["model"].erase("vocab");
  CHECK_THROWS_AS(kvsim::parse_scenario(doc, "s.json", "."), kvsim::InputError);
  doc["model"] = {{"preset", "llama-3-8b"}, {"layers", 4}};
  const kvsim::Scenario t = kvsim::parse_scenario(doc, "s.json", ".");
  CHECK(t.model.layers == 4);
  CHECK(t.model.hidden == 4096);
}

TEST_CASE("variants patch the scenario by JSON pointer") {
  auto doc = small_scenario();
  doc["variants"] = nlohmann::json::parse(R"([{"name": "four", "set": {"/hardware/gpus": 4}}])");
  const kvsim::Scenario s = kvsim::parse_scenario(doc, "s.json", ".");
  REQUIRE(s.variants.size() == 1);
  const kvsim::Scenario v = kvsim::apply_variant(s, s.variants[0]);
  CHECK(v.gpus == 4);
  CHECK(v.name == "small/four");
  CHECK(v.variants.empty());
  doc["variants"] = nlohmann::json::parse(R"([{"name": "bad", "set": {"/nope/deeper": 1}}])");
  const kvsim::Scenario w = kvsim::parse_scenario(doc, "s.json", ".");
  try {
    kvsim::apply_variant(w, w.variants[0]);
    FAIL("no error");
  } catch (const kvsim::InputError& e) {
    CHECK(std::string(e.what()) ==
          "s.json: /variants (\"bad\"): expected a pointer whose parent object exists in the scenario, found \"/nope/deeper\"");
  }
}

TEST_CASE("the built-in default scenario is valid") {
  const kvsim::Scenario s = kvsim::default_scenario();
  CHECK(s.model.name == "llama-3-70b");
  CHECK(s.gpus == 8);
  CHECK(s.variants.size() >= 3);
}
