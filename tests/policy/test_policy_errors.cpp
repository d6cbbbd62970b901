// Bad attention-policy parameters and vision workloads are rejected with one line naming the file,
// the JSON pointer, what was expected and what was found.
#include "tests/support/catch.h"

#include <filesystem>

#include "sim/core/input_error.h"
#include "sim/policy/attention_policy.h"
#include "sim/run/simulation.h"
#include "tests/policy/policy_test_util.h"

using kvsim::InputError;

namespace {

// The message for the policy (or "" if it builds), without the "t.json: " prefix.
std::string error_for(const nlohmann::json& attention, const nlohmann::json& kv_policy = {{"kind", "full"}}) {
  try {
    kvsim::make_attention_policy(attention, kv_policy, *kvsim::model_preset("llava-1.5-7b"), 1, "t.json", ".");
  } catch (const InputError& e) {
    const std::string msg = e.what();
    REQUIRE(msg.rfind("t.json: ", 0) == 0);
    REQUIRE(msg.find('\n') == std::string::npos);
    return msg.substr(8);
  }
  return "";
}

nlohmann::json avl(const std::string& key, const nlohmann::json& value) {
  nlohmann::json p = {{"kind", "a_vl"}};
  p[key] = value;
  return p;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("valid policies build") {
  CHECK(error_for({{"kind", "a_vl"}}).empty());
  CHECK(error_for(avl("refresh_interval", "never")).empty());
  CHECK(error_for({{"kind", "fastv"}}).empty());
  CHECK(error_for({{"kind", "h2o"}}).empty());
  CHECK(error_for({{"kind", "streaming_llm"}, {"window", 512}}).empty());
  CHECK(error_for(nullptr).empty());
}

TEST_CASE("rates outside [0, 1] are rejected") {
  CHECK(error_for(avl("vision_keep", 1.5)) ==
        "/attention_policy/vision_keep: expected a number in [0, 1], found the number 1.5");
  CHECK(error_for(avl("vision_compute", -0.1)) ==
        "/attention_policy/vision_compute: expected a number in [0, 1], found the number -0.1");
  CHECK(error_for(avl("text", {{"keep", 2}})) == "/attention_policy/text/keep: expected a number in [0, 1], found the number 2");
  CHECK(error_for({{"kind", "fastv"}, {"keep", 1.01}}) ==
        "/attention_policy/keep: expected a number in [0, 1], found the number 1.01");
  CHECK(contains(error_for({{"kind", "h2o"}, {"heavy", 0.7}, {"recent", 0.5}}),
                 "/attention_policy/recent: expected a share at most 1 - heavy ("));
}

TEST_CASE("computing more image tokens than are kept is rejected") {
  nlohmann::json p = {{"kind", "a_vl"}, {"vision_keep", 0.4}, {"vision_compute", 0.6}};
  CHECK(error_for(p) == "/attention_policy/vision_compute: expected a share at most vision_keep (0.4): "
                        "only stored image tokens can be computed, found the number 0.6");
}

TEST_CASE("a refresh interval of 0 (or -1, or 2.5) is rejected") {
  for (const nlohmann::json& bad : {nlohmann::json(0), nlohmann::json(-1), nlohmann::json(2.5), nlohmann::json("sometimes")}) {
    const std::string msg = error_for(avl("refresh_interval", bad));
    INFO(msg);
    CHECK(msg.rfind("/attention_policy/refresh_interval: expected a refresh interval in decode steps, an integer in "
                    "[1, 1000000], or \"never\", found ", 0) == 0);
  }
}

TEST_CASE("unknown kinds and keys, filters past the last layer, and kv_policy clashes are rejected") {
  CHECK(contains(error_for({{"kind", "snapkv"}}), "/attention_policy/kind: expected one of \"full\", \"a_vl\""));
  CHECK(contains(error_for(avl("vision_kep", 0.5)), "/attention_policy/vision_kep: expected one of the keys"));
  CHECK(contains(error_for(avl("prefill_filter", {{"after_layer", 0}})),
                 "/attention_policy/prefill_filter/after_layer: expected an integer in [1, 32], found the number 0"));
  CHECK(contains(error_for(avl("prefill_filter", {{"layer", 3}})), "/attention_policy/prefill_filter/layer: expected"));
  CHECK(contains(error_for({{"kind", "streaming_llm"}}), "/attention_policy/window: expected a value for this required key"));
  CHECK(contains(error_for({{"kind", "h2o"}}, {{"kind", "uniform"}, {"budget", 64}}),
                 "/kv_policy: expected no kv_policy or {\"kind\": \"full\"} with attention_policy \"h2o\""));
  // Text-side budgets are checked by their own source, at their own pointer.
  CHECK(contains(error_for(avl("text", {{"budgets", {{"kind", "uniform"}}}})),
                 "/attention_policy/text/budgets/budget: expected a value for this required key"));
  CHECK(contains(error_for(avl("text", {{"budgets", {{"kind", "full"}}}, {"keep", 0.5}})),
                 "/attention_policy/text/keep: expected one of the keys budgets"));
}

TEST_CASE("images need a model with a vision tower; a trace's image columns are checked") {
  auto doc = kvsim::testing::tiny_vlm_scenario(1, "x.csv", {{"kind", "full"}});
  doc["model"].erase("vision");
  doc["workload"] = {{"arrival", "batch"}, {"requests", 2}, {"prompt_tokens", 10}, {"output_tokens", 2},
                     {"images", {{"count", 1}, {"tokens_per_image", 576}}}};
  try {
    kvsim::parse_scenario(doc, "s.json", ".");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "s.json: /workload/images: expected a model with a vision tower to encode them "
                                   "(a LLaVA preset or \"vision\" in /model), found images for tiny-vlm, which has none");
  }
  kvsim::testing::TempDir dir;
  const std::string trace = dir.write("t.csv", "arrival_s,prompt_tokens,output_tokens,images,image_tokens\n0,10,2,2,1\n");
  try {
    kvsim::simulate(kvsim::parse_scenario(kvsim::testing::tiny_vlm_scenario(1, trace, {{"kind", "full"}}), "s.json", "."));
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == trace + ": line 2: expected image_tokens of at least one per image and none without "
                                           "images (images 2), found \"1\"");
  }
  const std::string header = dir.write("h.csv", "arrival_s,prompt_tokens,output_tokens,pictures\n0,10,2,1\n");
  try {
    kvsim::simulate(kvsim::parse_scenario(kvsim::testing::tiny_vlm_scenario(1, header, {{"kind", "full"}}), "s.json", "."));
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(contains(e.what(), header + ": line 1: expected a header naming arrival_s, prompt_tokens, output_tokens"));
  }
}

TEST_CASE("a model's vision tower: a preset, null or every field") {
  auto doc = kvsim::testing::tiny_vlm_scenario(1, "x.csv", {{"kind", "full"}});
  doc["model"]["vision"] = "clip-vit-l-14-336";
  CHECK(kvsim::parse_scenario(doc, "s.json", ".").model.vision->layers == 24);
  doc["model"]["vision"] = nullptr;
  CHECK_FALSE(kvsim::parse_scenario(doc, "s.json", ".").model.vision);
  doc["model"]["vision"] = {{"preset", "clip-vit-l-14-336"}, {"layers", 12}};
  CHECK(kvsim::parse_scenario(doc, "s.json", ".").model.vision->layers == 12);
  doc["model"]["vision"] = {{"layers", 12}, {"hidden", 768}};
  try {
    kvsim::parse_scenario(doc, "s.json", ".");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) ==
          "s.json: /model/vision/ffn: expected an integer (custom vision towers give every shape), found nothing");
  }
  doc["model"]["vision"] = "siglip";
  CHECK_THROWS_AS(kvsim::parse_scenario(doc, "s.json", "."), InputError);
}

TEST_CASE("every scenario under scenarios/avl and each of its variants is valid") {
  const std::filesystem::path dir = std::filesystem::path(KVSIM_SOURCE_DIR) / "scenarios/avl";
  int files = 0, variants = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    const kvsim::Scenario base = kvsim::load_scenario(entry.path().string());
    CHECK(base.model.vision);
    for (const kvsim::Variant& v : base.variants) {
      INFO(entry.path().filename().string() << " variant " << v.name);
      const kvsim::Scenario s = kvsim::apply_variant(base, v);
      CHECK(kvsim::make_attention_policy(s) != nullptr);
      ++variants;
    }
  }
  CHECK(files >= 3);
  CHECK(variants >= 15);
}
