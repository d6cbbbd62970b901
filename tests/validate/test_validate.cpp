// kvsim validate without a GPU: error statistics by hand, the comparison pipeline with the calibrated
// executor measuring itself (every error exactly 0) and with the roofline model as the measurer, a
// measuring executor that fails mid-run (steps so far kept, the step named), and the files written.
#include "tests/support/catch.h"

#include <cmath>
#include <fstream>
#include <stdexcept>

#include "sim/executor/roofline_costs.h"
#include "sim/executor/tp_step_composer.h"
#include "sim/scenario/scenario.h"
#include "sim/validate/validation_output.h"
#include "sim/validate/validation_stats.h"
#include "tests/support/temp_dir.h"
#include "tests/validate/validate_scenario.h"

using namespace kvsim;
using kvsim::testing::read_file;
using kvsim::testing::TempDir;

namespace {

StepPair pair(double predicted, double measured, int prefill_tokens = 0) {
  return StepPair{.decode_requests = 4, .prefill_tokens = prefill_tokens, .predicted_s = predicted, .measured_s = measured};
}

Scenario small(int gpus = 1) {
  return parse_scenario(kvsim::testing::validate_scenario_json(gpus), "small.json", ".");
}

ValidateOptions measured_by(ExecutorFactory f, const char* name) {
  return ValidateOptions{.profile = kvsim::testing::h200_profile(), .measure = std::move(f), .measured_by = name};
}

// An executor that prices like roofline and fails at step `fail_at`.
class FailingExecutor final : public StepExecutor {
 public:
  FailingExecutor(std::unique_ptr<StepExecutor> inner, int fail_at) : inner_(std::move(inner)), fail_at_(fail_at) {}
  std::string_view name() const override { return "failing"; }
  void time_step(const StepPlan& plan, StepTiming& out) override {
    if (step_++ == fail_at_) throw std::runtime_error("out of memory (simulated)");
    inner_->time_step(plan, out);
  }

 private:
  std::unique_ptr<StepExecutor> inner_;
  int fail_at_, step_ = 0;
};

std::unique_ptr<StepExecutor> roofline_for(const ExecutorContext& ctx) {
  return std::make_unique<TpStepComposer>("roofline", ctx.deployment,
                                          std::make_unique<RooflineCosts>(ctx.scenario.gpu, ctx.scenario.model.dtype_bytes));
}

}  // namespace

TEST_CASE("step error statistics by hand") {
  // Relative errors +10%, -20%, +5%, 0%, +50% (the last a step with a prompt chunk beside decodes).
  const std::vector<StepPair> pairs = {pair(1.1, 1.0), pair(0.8, 1.0), pair(2.1, 2.0), pair(3.0, 3.0), pair(1.5, 1.0, 64)};
  const ErrorStats all = step_error_stats(pairs);
  CHECK(all.steps == 5);
  // |errors| sorted: 0, 0.05, 0.1, 0.2, 0.5 -> median 0.1; p90 at position 3.6: 0.2 + 0.6 * 0.3 = 0.38.
  CHECK(all.median_abs == Approx(0.1));
  CHECK(all.p90_abs == Approx(0.38));
  CHECK(all.mean_signed == Approx((0.1 - 0.2 + 0.05 + 0 + 0.5) / 5));
  const ErrorStats decode = step_error_stats(pairs, "decode");
  CHECK(decode.steps == 4);
  CHECK(decode.median_abs == Approx(0.075));
  CHECK(step_error_stats(pairs, "mixed").median_abs == Approx(0.5));
  CHECK(step_error_stats(pairs, "prefill").steps == 0);
  CHECK(relative_error(0.9, 1.0) == Approx(-0.1));
}

TEST_CASE("the calibrated executor measuring itself gives zero error everywhere") {
  const ValidationRun run = validate_scenario(
      small(), "self", measured_by([](const ExecutorContext& ctx) { return ctx.pricing_executor(); }, "calibrated"));
  REQUIRE(run.error.empty());
  REQUIRE(run.pairs.size() == static_cast<std::size_t>(run.predicted.steps));
  for (const StepPair& p : run.pairs) REQUIRE(p.predicted_s == p.measured_s);
  CHECK(run.measured.simulated_s == run.predicted.simulated_s);
  CHECK(run.report["step_error"]["all"]["p90_abs_error"] == 0.0);
  CHECK(run.report["throughput"]["output_tokens_per_s"]["error"] == 0.0);
  CHECK(run.report["meets_targets"]["median_step_error"] == true);
  // Nothing allocated KV (no runtime), so memory is not compared.
  CHECK(run.report["memory"]["exact"].is_null());
  CHECK(run.report["memory"]["per_gpu"][0]["predicted_kv_bytes"].get<std::int64_t>() > 0);
}

TEST_CASE("each step lists its requests: prefill chunks in order, then one decode per step") {
  std::vector<std::vector<StepEntry>> seen;
  class Recorder final : public StepExecutor {
   public:
    Recorder(std::unique_ptr<StepExecutor> inner, std::vector<std::vector<StepEntry>>& seen)
        : inner_(std::move(inner)), seen_(seen) {}
    std::string_view name() const override { return "recorder"; }
    void time_step(const StepPlan& plan, StepTiming& out) override {
      seen_.emplace_back(plan.entries.begin(), plan.entries.end());
      int decodes = 0, tokens = 0;
      for (const StepEntry& e : plan.entries) (e.decode() ? decodes : tokens) += e.decode() ? 1 : e.chunk_len;
      REQUIRE(decodes == plan.decode_requests);
      REQUIRE(tokens == plan.prefill_tokens);
      inner_->time_step(plan, out);
    }
   private:
    std::unique_ptr<StepExecutor> inner_;
    std::vector<std::vector<StepEntry>>& seen_;
  };
  const Scenario s = small();
  SimulateOptions opts;
  opts.executor = [&](const ExecutorContext& ctx) { return std::make_unique<Recorder>(roofline_for(ctx), seen); };
  const RunResult r = simulate(s, opts);
  REQUIRE(static_cast<std::int64_t>(seen.size()) == r.steps);
  // Per request: chunks contiguous from 0 to the prompt, then output_tokens - 1 decodes.
  std::vector<int> prefilled(6, 0), decodes(6, 0);
  for (const auto& step : seen)
    for (const StepEntry& e : step) {
      const auto i = static_cast<std::size_t>(e.request_id);
      if (e.decode()) {
        REQUIRE(prefilled[i] == r.requests[i].prompt_tokens);
        ++decodes[i];
      } else {
        REQUIRE(e.chunk_start == prefilled[i]);
        prefilled[i] += e.chunk_len;
      }
    }
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(prefilled[i] == r.requests[i].prompt_tokens);
    CHECK(decodes[i] == r.requests[i].output_tokens - 1);
  }
  // A run without an external executor lists nothing (and so costs nothing).
  CHECK(simulate(s).steps == r.steps);
}

TEST_CASE("roofline measured against calibrated: per-step pairs on identical plans") {
  const ValidationRun run = validate_scenario(small(2), "roofline", measured_by(roofline_for, "roofline"));
  REQUIRE(run.error.empty());
  REQUIRE(!run.pairs.empty());
  // The measured run follows the roofline times: its total is the sum of its measured steps.
  double measured_total = 0;
  for (const StepPair& p : run.pairs) measured_total += p.measured_s;
  CHECK(run.measured.simulated_s == Approx(measured_total).epsilon(1e-9));
  CHECK(run.measured.executor == "roofline");
  const double err = run.report["step_error"]["all"]["median_abs_error"].get<double>();
  CHECK(err > 0);  // two different models do not agree to the last bit
  CHECK(run.report["step_error"].contains("decode"));
  CHECK(run.report["points"].size() >= 2);
}

TEST_CASE("a measuring executor that fails keeps the steps before it and names the step") {
  const ValidationRun run = validate_scenario(
      small(), "failing",
      measured_by([](const ExecutorContext& ctx) { return std::make_unique<FailingExecutor>(roofline_for(ctx), 5); },
                  "failing"));
  CHECK(run.error == "step 5: out of memory (simulated)");
  CHECK(run.pairs.size() == 5);
  CHECK(run.report["step_error"]["all"]["steps"] == 5);
  CHECK_FALSE(run.report.contains("throughput"));
  TempDir dir;
  write_validation(dir.path(), "failing", {run});
  CHECK(std::filesystem::exists(dir.path() / "predicted" / "summary.json"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "measured"));
  CHECK(read_file(dir.path() / "validation.md").find("stopped early") != std::string::npos);
}

TEST_CASE("validation files: json, markdown, csv per step, svg") {
  const ValidationRun a = validate_scenario(small(2), "tensor_parallel", measured_by(roofline_for, "roofline"));
  nlohmann::json doc = kvsim::testing::validate_scenario_json(2);
  doc["placement"] = {{"kind", "fair_copying"}};
  const ValidationRun b =
      validate_scenario(parse_scenario(doc, "small.json", "."), "fair_copying", measured_by(roofline_for, "roofline"));
  TempDir dir;
  write_validation(dir.path(), "two", {a, b});
  const auto top = nlohmann::json::parse(read_file(dir.path() / "validation.json"));
  CHECK(top["runs"].size() == 2);
  CHECK(top["points"].size() == a.report["points"].size() + b.report["points"].size());
  REQUIRE(top["speedups"].size() == 2);
  CHECK(top["speedups"][0]["measured_speedup"] == 1.0);
  CHECK(top["speedups"][1]["baseline"] == "tensor_parallel");
  const std::string csv = read_file(dir.path() / "fair_copying" / "steps.csv");
  CHECK(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) == b.pairs.size() + 1);
  CHECK(csv.rfind("step,kind,decode_requests,prefill_tokens,predicted_s,measured_s,relative_error", 0) == 0);
  const std::string svg = read_file(dir.path() / "tensor_parallel" / "step_times.svg");
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(std::filesystem::exists(dir.path() / "tensor_parallel" / "measured" / "summary.json"));
  CHECK(read_file(dir.path() / "validation.md").find("| fair_copying |") != std::string::npos);
}

TEST_CASE("steps timed without phases: phase totals skip them, decode errors are split by timing") {
  // Roofline times every step; this one drops the per-phase times of odd steps (as the cuda executor
  // does between its per-phase samples), keeping each step's total.
  class SampledPhases final : public StepExecutor {
   public:
    explicit SampledPhases(std::unique_ptr<StepExecutor> inner) : inner_(std::move(inner)) {}
    std::string_view name() const override { return "sampled"; }
    void time_step(const StepPlan& plan, StepTiming& out) override {
      inner_->time_step(plan, out);
      if (step_++ % 2 == 1) std::fill(out.phase_s.begin(), out.phase_s.end(), 0.0);
    }
   private:
    std::unique_ptr<StepExecutor> inner_;
    int step_ = 0;
  };
  const ValidationRun run = validate_scenario(
      small(), "sampled",
      measured_by([](const ExecutorContext& ctx) { return std::make_unique<SampledPhases>(roofline_for(ctx)); }, "sampled"));
  REQUIRE(run.error.empty());
  std::size_t phased = 0;
  double gemm = 0;
  for (const StepPair& p : run.pairs) {
    CHECK(p.measured_s > 0);
    if (p.step % 2 == 0) {
      CHECK(p.measured_phases());
      ++phased;
      gemm += p.measured_phase_s[static_cast<std::size_t>(Phase::gemm)];
    } else {
      CHECK_FALSE(p.measured_phases());
    }
  }
  CHECK(run.report["phases"]["steps"] == phased);
  // Per-step errors are over the steps without per-phase times (the instrumented ones apart).
  CHECK(run.report["step_error"]["all"]["steps"] == run.pairs.size() - phased);
  CHECK(run.report["step_error_over"].get<std::string>().find("without per-phase CUDA events") != std::string::npos);
  CHECK(run.report["phases"]["gemm"]["measured_s"].get<double>() == Approx(gemm));
  REQUIRE(run.report["decode_step_error_by_timing"].is_object());
  CHECK(run.report["decode_step_error_by_timing"]["with_phase_events"]["steps"].get<std::size_t>() > 0);
  CHECK(run.report["decode_step_error_by_timing"]["without_phase_events"]["steps"].get<std::size_t>() > 0);
}
