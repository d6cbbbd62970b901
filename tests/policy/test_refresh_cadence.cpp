// Refresh cadence: under A-VL a request's decode steps 1, 2, ... attend the core image tokens except
// its steps K, 2K, ..., which attend every stored image token; requests refresh on their own
// schedule, and memory follows the stored tokens whatever the step computes.
#include "tests/support/catch.h"

#include "tests/policy/policy_test_util.h"

using kvsim::StepPlan;
using kvsim::testing::SchedulerRig;
using kvsim::testing::vlm_request;

namespace {

SchedulerRig rig(const nlohmann::json& refresh, int requests) {
  const nlohmann::json avl = {{"kind", "a_vl"}, {"vision_keep", 0.5}, {"vision_compute", 0.2},
                              {"refresh_interval", refresh}, {"text", {{"keep", 1.0}, {"min_tokens", 0}}}};
  return SchedulerRig(kvsim::parse_scenario(kvsim::testing::tiny_vlm_scenario(1, "x.csv", avl), "t.json", "."), requests);
}

}  // namespace

TEST_CASE("a refresh every 3 steps: steps 3, 6, 9 of a request attend all stored image tokens") {
  SchedulerRig r = rig(3, 1);
  // Prefix 2, a 100-token image, 10 text tokens, 10 output tokens (9 decode steps). Per head: stored
  // 2 + 50 + 10 = 62, computed 2 + 20 + 10 = 32, refresh 30 more; text grows by one per step.
  r.scheduler->arrive(vlm_request(0, 2, 100, 10, 10));
  StepPlan plan;
  CHECK(r.step(plan).empty());  // step 0: the prefill
  CHECK(plan.vision_tiles == 1);
  for (int j = 1; j <= 9; ++j) {
    const std::vector<double> read = r.step(plan);
    REQUIRE(read.size() == 2);  // 2 layers x 1 GPU, 2 kv heads in each
    const double expected = 2 * (32 + j) + (j % 3 == 0 ? 2 * 30 : 0);
    INFO("decode step " << j);
    CHECK(read[0] == expected);
    CHECK(read[1] == expected);
    CHECK(plan.vision_tiles == 0);
  }
  CHECK(r.scheduler->idle());
  // Memory follows the stored tokens: 2 layers x 2 heads x (62 + 9) x 64 B at the last step.
  CHECK(r.scheduler->peak_kv_bytes()[0] == 2 * 2 * 71 * 64);
}

TEST_CASE("requests refresh on their own steps, not on a global clock") {
  SchedulerRig r = rig(3, 2);
  r.scheduler->arrive(vlm_request(0, 2, 100, 10, 10));  // A: decodes at global steps 1..9
  StepPlan plan;
  r.step(plan);                                         // step 0: A's prefill
  r.step(plan);                                         // step 1: A's decode step 1
  r.scheduler->arrive(vlm_request(1, 0, 100, 5, 5));    // B: prefill at step 2, decodes at steps 3..6
  for (int s = 2; s <= 9; ++s) {
    const std::vector<double> read = r.step(plan);
    const int ja = s, jb = s - 2;                        // each request's own decode step index
    double expected = 2 * (32 + ja) + (ja % 3 == 0 ? 60 : 0);
    if (jb >= 1 && jb <= 4) expected += 2 * (25 + jb) + (jb % 3 == 0 ? 60 : 0);
    INFO("global step " << s);
    REQUIRE(read.size() == 2);
    CHECK(read[0] == expected);
  }
  CHECK(r.scheduler->idle());
}

TEST_CASE("refresh \"never\": every step attends the core picked at prefill") {
  SchedulerRig r = rig("never", 1);
  r.scheduler->arrive(vlm_request(0, 2, 100, 10, 10));
  StepPlan plan;
  r.step(plan);
  for (int j = 1; j <= 9; ++j) {
    const std::vector<double> read = r.step(plan);
    REQUIRE(read.size() == 2);
    CHECK(read[0] == 2 * (32 + j));
  }
  CHECK(r.scheduler->peak_kv_bytes()[0] == 2 * 2 * 71 * 64);
}

TEST_CASE("decode attention time follows the computed tokens, refresh steps costed as such") {
  // The same requests under A-VL with and without refresh, and with the full cache: decode attention
  // time orders full > refresh every step > refresh every 3 > never.
  auto decode_attention = [](const nlohmann::json& policy) {
    kvsim::testing::TempDir dir;
    std::string csv = "arrival_s,prefix_tokens,images,image_tokens,prompt_tokens,output_tokens\n";
    for (int i = 0; i < 8; ++i) csv += "0,2,1,100,10,30\n";
    const std::string trace = dir.write("t.csv", csv);
    const auto s = kvsim::parse_scenario(kvsim::testing::tiny_vlm_scenario(1, trace, policy), "t.json", dir.path());
    return kvsim::simulate(s).decode_attention_s;
  };
  const nlohmann::json base = {{"kind", "a_vl"}, {"vision_keep", 0.5}, {"vision_compute", 0.2}};
  auto with = [&](const nlohmann::json& k) { auto p = base; p["refresh_interval"] = k; return p; };
  const double full = decode_attention({{"kind", "full"}});
  const double every = decode_attention(with(1));
  const double third = decode_attention(with(3));
  const double never = decode_attention(with("never"));
  CHECK(full > every);
  CHECK(every > third);
  CHECK(third > never);
  CHECK(never > 0);
}
