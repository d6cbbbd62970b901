// kvsim plan: a tiny custom model on tiny custom GPUs where the answer is known by construction
// (the weights need 2 GPUs), the search's invariants, an impossible SLO, bad input, and the CLI.
#include "tests/support/catch.h"

#include "sim/core/input_error.h"
#include "sim/plan/capacity_plan.h"
#include "tests/support/temp_dir.h"
#include "tests/sweep/sweep_test_util.h"

using namespace kvsim;
using kvsim::testing::TempDir;

namespace {

// 4 layers, hidden 1024: about 0.25 GiB of bf16 weights. On a 0.25 GiB GPU with a 10% reserve the
// weights do not fit on one GPU; on two they do, with room for KV.
nlohmann::json tiny_plan() {
  return nlohmann::json::parse(R"({
    "schema_version": 1,
    "base": {
      "schema_version": 1, "name": "tiny", "seed": 3,
      "model": {"name": "tiny", "layers": 4, "hidden": 1024, "ffn": 4096, "q_heads": 8, "kv_heads": 8,
                "head_dim": 128, "vocab": 32000},
      "hardware": {"gpu": {"name": "mini", "memory_gib": 0.25, "hbm_tb_per_s": 1, "bf16_tflops": 100,
                           "interconnect_gb_per_s": 100, "interconnect_latency_us": 5}, "gpus": 1},
      "workload": {"arrival": "poisson", "rate_per_s": 1, "requests": 60,
                   "prompt_tokens": {"uniform": [128, 512]}, "output_tokens": {"uniform": [16, 64]}},
      "kv_policy": {"kind": "uniform", "budget": 128},
      "scheduler": {"max_batch_size": 32, "max_batched_tokens": 4096}
    },
    "traffic": {"rate_per_s": 5},
    "slo": {"ttft_p99_s": 1.0, "tpot_p99_s": 0.5},
    "search": {"gpus": [1, 2, 4], "placements": ["tensor_parallel", {"kind": "best_effort"}], "budgets": [64, 128],
               "iterations": 4, "max_rate_factor": 8},
    "cost": {"per_gpu_hour": 2}
  })");
}

}  // namespace

TEST_CASE("plan: the cheapest configuration is the fewest GPUs that hold the model") {
  const plan::PlanSpec spec = plan::parse_plan(tiny_plan(), "plan.json", ".");
  plan::validate_plan(spec);
  const plan::PlanResult r = plan::run_plan(spec, 2);
  REQUIRE(r.configs.size() == 12);
  for (const auto& c : r.configs) CHECK(c.fits == (c.gpus >= 2));
  REQUIRE(r.answer);
  const auto& a = r.configs[*r.answer];
  CHECK(a.gpus == 2);
  CHECK(a.at_target.meets);
  CHECK(a.max_rate_per_s >= spec.target_rate_per_s);
  // The answer has the most headroom among the 2-GPU configurations.
  for (const auto& c : r.configs)
    if (c.gpus == 2) CHECK(c.max_rate_per_s <= a.max_rate_per_s);
  CHECK(r.explanation.find("Cheapest configuration: 2 x MINI") == 0);
  CHECK(r.explanation.find("1 GPU cannot run it: it needs GPUs with room for the weights") != std::string::npos);
  CHECK(r.explanation.find("4 USD an hour") != std::string::npos);
  // Every trial below the sustainable rate met the SLOs and every trial that failed was above it.
  for (const auto& c : r.configs)
    for (const auto& t : c.trials) {
      if (t.meets) CHECK(t.rate_per_s <= c.max_rate_per_s);
      else CHECK(t.rate_per_s > c.max_rate_per_s);
    }
}

TEST_CASE("plan: an impossible SLO has no answer and says so") {
  nlohmann::json doc = tiny_plan();
  doc["slo"] = {{"ttft_p99_s", 1e-7}};
  doc["search"]["gpus"] = {2};
  doc["search"].erase("budgets");
  const plan::PlanSpec spec = plan::parse_plan(doc, "plan.json", ".");
  const plan::PlanResult r = plan::run_plan(spec, 1);
  CHECK_FALSE(r.answer);
  CHECK(r.explanation.find("No configuration sustains 5 req/s within the SLOs.") == 0);
  CHECK(r.explanation.find("p99 TTFT") != std::string::npos);
  for (const auto& c : r.configs) CHECK(c.max_rate_per_s == 0);
  const nlohmann::json j = plan::plan_json(spec, r);
  CHECK(j["answer"].is_null());
  CHECK(j["configs"].size() == 2);
}

TEST_CASE("plan: bad input names the file and pointer") {
  auto error_of = [](const nlohmann::json& doc) {
    try {
      (void)plan::parse_plan(doc, "plan.json", ".");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  nlohmann::json doc = tiny_plan();
  doc["slo"] = nlohmann::json::object();
  CHECK(error_of(doc) == "plan.json: /slo: expected \"ttft_p99_s\" and/or \"tpot_p99_s\", found neither");
  doc = tiny_plan();
  doc["traffic"]["rate_per_s"] = -1;
  CHECK(error_of(doc).find("plan.json: /traffic/rate_per_s: expected a number in") == 0);
  doc = tiny_plan();
  doc["search"]["gpus"] = {2, 0};
  CHECK(error_of(doc).find("plan.json: /search/gpus/1: expected an integer in [1, 4096]") == 0);
  doc = tiny_plan();
  doc["search"]["placements"] = {"no_such_kind"};
  const plan::PlanSpec spec = plan::parse_plan(doc, "plan.json", ".");
  std::string e;
  try {
    plan::validate_plan(spec);
  } catch (const InputError& x) {
    e = x.what();
  }
  CHECK(e.find("/placement/kind") != std::string::npos);
}

TEST_CASE("kvsim plan writes plan.json and plan.md and prints the answer") {
  TempDir dir;
  const std::string file = dir.write("plan.json", tiny_plan().dump());
  const auto out = dir.path() / "out";
  const auto o = testing::run_kvsim("plan " + file + " --out " + out.string() + " --jobs 2");
  REQUIRE(o.status == 0);
  CHECK(o.output.find("Cheapest configuration: 2 x MINI") == 0);
  const auto j = nlohmann::json::parse(testing::read_file(out / "plan.json"));
  CHECK(j["answer"]["gpus"] == 2);
  CHECK(testing::read_file(out / "plan.md").find("| **2 x MINI") != std::string::npos);
  // Same input, same answer, byte for byte.
  REQUIRE(testing::run_kvsim("plan " + file + " --out " + (dir.path() / "again").string() + " --quiet --jobs 1").status == 0);
  CHECK(testing::read_file(dir.path() / "again" / "plan.json") == testing::read_file(out / "plan.json"));
}
