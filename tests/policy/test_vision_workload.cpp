// Vision-language workloads: requests with a system prefix, images and a text prompt (generated or
// from a CSV trace with optional columns), the tiles each image costs the vision tower, and the
// tower's prefill cost in the step.
#include "tests/support/catch.h"
#include "tests/support/counting_costs.h"

#include "sim/executor/roofline_costs.h"
#include "sim/executor/tp_step_composer.h"
#include "sim/executor/vision_cost.h"
#include "sim/model/model_spec.h"
#include "sim/workload/workload.h"
#include "tests/policy/policy_test_util.h"

namespace {

using kvsim::testing::CountingCosts;

}  // namespace

TEST_CASE("generated requests lay out prefix, images and text") {
  kvsim::WorkloadSpec w{.arrival = kvsim::WorkloadSpec::Arrival::batch, .requests = 3,
                        .prompt_tokens = {50, 50}, .output_tokens = {10, 10}, .prefix_tokens = {35, 35},
                        .images = {2, 2}, .tokens_per_image = {576, 576}};
  const auto requests = kvsim::make_requests(w, 1, "t.json");
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].prompt_tokens == 35 + 2 * 576 + 50);
  CHECK(requests[0].image_tokens == 1152);
  CHECK(requests[0].images == 2);
  CHECK(requests[0].text_tokens() == 50);
  // Uniform image sizes are drawn per image, from the seed.
  w.tokens_per_image = {576, 2880};
  const auto a = kvsim::make_requests(w, 7, "t.json"), b = kvsim::make_requests(w, 7, "t.json");
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].image_tokens == b[i].image_tokens);
    CHECK(a[i].image_tokens >= 2 * 576);
    CHECK(a[i].image_tokens <= 2 * 2880);
  }
}

TEST_CASE("a trace names its columns; the 3-column header still reads") {
  kvsim::testing::TempDir dir;
  kvsim::WorkloadSpec w{.arrival = kvsim::WorkloadSpec::Arrival::trace};
  w.trace_path = dir.write("old.csv", "arrival_s,prompt_tokens,output_tokens\n0.5,100,7\n");
  auto r = kvsim::make_requests(w, 1, "t.json");
  REQUIRE(r.size() == 1);
  CHECK(r[0].prompt_tokens == 100);
  CHECK(r[0].images == 0);
  w.trace_path = dir.write("new.csv", "images,arrival_s,image_tokens,prefix_tokens,output_tokens,prompt_tokens\n"
                                      "2,0.0,2880,35,9,40\n0,1.5,0,0,3,12\n");
  r = kvsim::make_requests(w, 1, "t.json");
  REQUIRE(r.size() == 2);
  CHECK(r[0].prompt_tokens == 35 + 2880 + 40);
  CHECK(r[0].images == 2);
  CHECK(r[0].prefix_tokens == 35);
  CHECK(r[0].output_tokens == 9);
  CHECK(r[1].prompt_tokens == 12);
  CHECK(r[1].arrival_s == 1.5);
}

TEST_CASE("tiles per image: 576 tokens per tile of CLIP ViT-L/14-336") {
  const kvsim::VisionSpec clip = *kvsim::vision_preset("clip-vit-l-14-336");
  CHECK(clip.encoder_tokens_per_tile() == 577);
  CHECK(kvsim::vision_tiles(clip, 1, 576) == 1);      // LLaVA-1.5
  CHECK(kvsim::vision_tiles(clip, 1, 2880) == 5);     // LLaVA-NeXT: base + 2x2 grid
  CHECK(kvsim::vision_tiles(clip, 2, 1153) == 3);     // 577 -> 2 tiles, 576 -> 1
  CHECK(kvsim::vision_tiles(clip, 0, 0) == 0);
  // CLIP ViT-L/14-336 (303.5 M parameters in its 24 layers) + the 2-layer projector (21 M), bf16.
  CHECK(clip.weight_bytes(4096, 2) == 2LL * (24LL * (4 * 1024 * 1024 + 2 * 1024 * 4096) + 1024 * 4096 + 4096LL * 4096));
  const kvsim::ModelSpec llava = *kvsim::model_preset("llava-1.5-7b");
  REQUIRE(llava.vision);
  CHECK(kvsim::model_preset("llava-next-mistral-7b")->kv_heads == 8);
  CHECK_FALSE(kvsim::model_preset("llama-3-8b")->vision);
}

TEST_CASE("the vision tower's cost, op by op") {
  const kvsim::VisionSpec v{.name = "t", .layers = 1, .hidden = 32, .ffn = 64, .heads = 2, .patch_tokens = 100,
                            .extra_tokens = 0, .projector_hidden = 32};
  const CountingCosts c;
  const kvsim::VisionCost cost = kvsim::vision_encoder_cost(v, 64, 2, 2, 2, c);
  // 4 encoder GEMMs + 2 projector GEMMs; 2 tiles x 100^2 pairs x 1 head per GPU; 2 + 1 all-reduces.
  CHECK(cost.gemm_s == 6);
  CHECK(cost.attention_s == 2 * 100 * 100);
  CHECK(cost.allreduce_s == 30);
  CHECK(cost.other_s == 1.0);
  // Roofline, compute-bound: about 0.4 TFLOP per CLIP ViT-L/14-336 tile with its projector.
  const kvsim::GpuSpec gpu{.name = "g", .memory_bytes = 1, .hbm_bytes_per_s = 1e30, .bf16_flops_per_s = 1e15,
                           .interconnect_bytes_per_s = 1e11, .interconnect_latency_s = 0};
  const kvsim::RooflineCosts roof(gpu);
  const double n = 577, h = 1024;
  const double flops = 24 * (2 * n * (4 * h * h + 2 * h * 4096) + n * n * 16 * 4 * 64) +
                       2 * 576 * (h * 4096 + 4096.0 * 4096);
  const kvsim::VisionCost clip = kvsim::vision_encoder_cost(*kvsim::vision_preset("clip-vit-l-14-336"), 4096, 2, 1, 1, roof);
  CHECK(clip.gemm_s + clip.attention_s == Approx(flops / 1e15));
  CHECK(flops == Approx(4.05e11).epsilon(0.01));
}

TEST_CASE("a step that starts a prompt with images pays the vision tower first") {
  kvsim::Deployment d;
  d.model = kvsim::parse_scenario(kvsim::testing::tiny_vlm_scenario(1, "x.csv", {{"kind", "full"}}), "t.json", ".").model;
  d.gpus = 1;
  d.kv_heads_held = {2, 2};
  d.kv_heads_served = {2, 2};
  d.weight_bytes = {0};
  kvsim::TpStepComposer composer("test", d, std::make_unique<CountingCosts>());
  const std::vector<double> pairs = {10, 10};
  kvsim::StepPlan plan;
  plan.prefill_requests = 1;
  plan.prefill_tokens = 120;
  plan.prefill_completions = 1;
  plan.prefill_pairs = pairs;
  kvsim::StepTiming without, with;
  composer.time_step(plan, without);
  plan.vision_tiles = 1;
  composer.time_step(plan, with);
  // One tile of the tiny tower on one GPU: 6 GEMMs + 100^2 x 2 heads pairs + 1 s elementwise.
  CHECK(with.step_s - without.step_s == Approx(6 + 20000 + 1.0));
  CHECK(with.busy_s[0] - without.busy_s[0] == Approx(6 + 20000 + 1.0));
}
