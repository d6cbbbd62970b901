// Conformance of the calibrated executor: with a profile measured from the roofline executor itself
// it must reproduce the roofline's step times (to the interpolation bound stated below); with the
// committed H200 profile it must be no faster than the datasheet roofline (which is optimistic by
// construction) and within a stated factor of it on large steps; every fallback is reported.
#include "tests/support/catch.h"

#include <cmath>
#include <memory>
#include <set>

#include "sim/executor/calibrated_costs.h"
#include "sim/executor/tp_step_composer.h"
#include "sim/model/model_spec.h"
#include "sim/run/simulation.h"
#include "sim/scenario/scenario.h"
#include "tests/calibration/calibration_test_util.h"
#include "tests/scenario/small_scenario.h"

using namespace kvsim;

namespace {

// A 2-GPU tensor-parallel deployment of `m`, every GPU holding kv_heads / 2 heads per layer.
Deployment tp2(const ModelSpec& m, const GpuSpec& gpu) {
  Deployment d{.model = m, .gpu = gpu, .gpus = 2};
  d.kv_heads_held.assign(static_cast<std::size_t>(m.layers) * 2, m.kv_heads / 2);
  d.kv_heads_served.assign(d.kv_heads_held.size(), m.kv_heads / 2.0);
  d.weight_bytes = {0, 0};
  return d;
}

ModelSpec small_model() {
  return {.name = "t", .layers = 2, .hidden = 1024, .ffn = 4096, .q_heads = 8, .kv_heads = 2, .head_dim = 128, .vocab = 32000};
}

struct Step {
  const char* name;
  int decode_requests, prefill_tokens;
  double kv_per_gpu_layer, pairs_per_gpu_layer;
};

double step_time(TpStepComposer& c, const Deployment& d, const Step& s) {
  const std::size_t cells = static_cast<std::size_t>(d.model.layers) * d.gpus;
  const std::vector<double> kv(cells, s.kv_per_gpu_layer), pairs(cells, s.pairs_per_gpu_layer);
  StepPlan plan;
  plan.decode_requests = s.decode_requests;
  plan.prefill_tokens = s.prefill_tokens;
  plan.prefill_requests = s.prefill_tokens > 0 ? 1 : 0;
  plan.prefill_completions = plan.prefill_requests;
  plan.decode_kv_tokens = kv;
  if (s.pairs_per_gpu_layer > 0) plan.prefill_pairs = pairs;
  StepTiming t;
  c.time_step(plan, t);
  return t.step_s;
}

const Step kSteps[] = {
    {"decode 1 x 1k", 1, 0, 1024, 0},
    {"decode 64 x 4k", 64, 0, 64 * 4096.0, 0},
    {"decode 256 x 8k", 256, 0, 256 * 8192.0, 0},
    {"prefill 2k", 0, 2048, 0, 2048.0 * 2049 / 2},
    {"mixed 32 + 1k", 32, 1024, 32 * 2048.0, 1024.0 * 1025 / 2},
};

}  // namespace

TEST_CASE("calibrated from roofline-generated points reproduces the roofline within 3% per step") {
  // Stated bound: the points sit on max(compute, memory) at every power of two; the model
  // interpolates log(t / fitted roofline) between them, exact at the points and off by at most a
  // few percent near the ridge of the max() between two grid points (3% here).
  const GpuSpec gpu = testing::test_gpu();
  const ModelSpec m = small_model();
  const RooflineCosts roof(gpu);
  const std::vector<std::pair<double, double>> shapes = {{768, 1024}, {1024, 512}, {4096, 1024}, {1024, 2048}, {16000, 1024}};
  CalibrationProfile p = calib::fit_profile(testing::points_from(roof, shapes), testing::test_environment());
  TpStepComposer rc("roofline", tp2(m, gpu), std::make_unique<RooflineCosts>(gpu));
  auto costs = std::make_unique<CalibratedCosts>(std::move(p), gpu);
  const CalibratedCosts* cal = costs.get();
  TpStepComposer cc("calibrated", tp2(m, gpu), std::move(costs));
  for (const Step& s : kSteps) {
    INFO(s.name);
    const double r = step_time(rc, tp2(m, gpu), s), c = step_time(cc, tp2(m, gpu), s);
    REQUIRE(r > 0);
    CHECK(std::fabs(c / r - 1) < 0.03);
  }
  // Every shape the composer asked for was measured and every size was inside the grids.
  INFO(cal->notes().dump());
  CHECK(cal->notes()["fallbacks"].empty());
}

TEST_CASE("unmeasured shapes and sizes fall back to the fitted roofline and are reported") {
  const GpuSpec gpu = testing::test_gpu();
  const RooflineCosts roof(gpu);
  CalibrationProfile p = calib::fit_profile(testing::points_from(roof, {{1024, 1024}}), testing::test_environment());
  p.ops[static_cast<std::size_t>(CalibratedOp::allreduce)].reset();
  const CalibratedCosts c(std::move(p), gpu);
  // An unmeasured (n, k): the nearest shape scaled by the fitted roofline, close to the roofline.
  CHECK(c.gemm_s(4096, 2048, 1024) == Approx(roof.gemm_s(4096, 2048, 1024)).epsilon(0.1));
  // Beyond the measured m: the edge's ratio to the fitted roofline carries on.
  CHECK(c.gemm_s(65536, 1024, 1024) == Approx(roof.gemm_s(65536, 1024, 1024)).epsilon(0.05));
  // No all-reduce measured: the scenario GPU's datasheet ring, exactly.
  CHECK(c.allreduce_s(1e8, 8) == Approx(roof.allreduce_s(1e8, 8)));
  const nlohmann::json notes = c.notes();
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& f : notes["fallbacks"]) {
    seen.insert({f["op"].get<std::string>(), f["reason"].get<std::string>().substr(0, 12)});
    CHECK(f["calls"].get<long long>() >= 1);
    CHECK_FALSE(f["examples"].empty());
  }
  CHECK(seen.count({"gemm", "shape not me"}) == 1);
  CHECK(seen.count({"gemm", "outside the "}) == 1);
  CHECK(seen.count({"allreduce", "profile has "}) == 1);
  CHECK(notes["op_calls"].get<long long>() == 3);
}

TEST_CASE("with the committed H200 profile, calibrated steps are no faster than the datasheet roofline") {
  // Stated bounds on LLaMA-3-70B under TP 2 (the shapes the profile measured): the roofline uses
  // datasheet peaks and no launch overhead, so calibrated >= 0.95 x roofline on every step, and
  // for the large steps (decode 64 x 4k and more, prefill 2k) calibrated <= 3 x roofline.
  const GpuSpec h200 = *gpu_preset("h200");
  ModelSpec m = *model_preset("llama-3-70b");
  m.layers = 4;  // the per-layer cost is what matters; fewer layers keep the test fast
  const CalibrationProfile p = load_profile(std::string(KVSIM_SOURCE_DIR) + "/calibration/profiles/h200/h200-nvlink-2gpu.json");
  TpStepComposer rc("roofline", tp2(m, h200), std::make_unique<RooflineCosts>(h200));
  TpStepComposer cc("calibrated", tp2(m, h200), std::make_unique<CalibratedCosts>(p, h200));
  for (const Step& s : kSteps) {
    INFO(s.name);
    const double r = step_time(rc, tp2(m, h200), s), c = step_time(cc, tp2(m, h200), s);
    CHECK(c >= 0.95 * r);
    if (s.decode_requests >= 64 || s.prefill_tokens >= 2048) CHECK(c <= 3.0 * r);
  }
}

TEST_CASE("a scenario naming the calibrated executor and a profile runs and reports the profile") {
  nlohmann::json j = testing::small_scenario();
  j["executor"] = {{"kind", "calibrated"}, {"profile", "calibration/profiles/h200/h200-nvlink-2gpu.json"}};
  const Scenario s = parse_scenario(j, "small.json", KVSIM_SOURCE_DIR);
  const RunResult r = simulate(s);
  CHECK(r.executor == "calibrated");
  CHECK(r.notes["profile"].get<std::string>().find("h200-nvlink-2gpu.json") != std::string::npos);
  CHECK(r.notes["op_calls"].get<long long>() > 0);
  // The same scenario under the roofline executor: the calibrated one is slower (launch overheads,
  // measured rather than datasheet rates), never faster by more than the 5% bound above.
  j["executor"] = {{"kind", "roofline"}};
  const RunResult roof = simulate(parse_scenario(j, "small.json", KVSIM_SOURCE_DIR));
  CHECK(r.simulated_s >= 0.95 * roof.simulated_s);
}
