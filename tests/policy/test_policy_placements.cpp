// A-VL with per-head text budgets under multi-GPU placements: the vision part is the same for every
// head of a layer, the text part follows the text method's per-head budgets, and the placement puts
// each head's stored and computed tokens on the GPU that serves it, so FairKV-style placements
// balance what TP leaves uneven.
#include "tests/support/catch.h"

#include <algorithm>

#include "sim/policy/attention_policy.h"
#include "sim/schedule/kv_footprint.h"
#include "tests/policy/policy_test_util.h"

using kvsim::testing::vlm_request;

namespace {

// The tiny VLM with 4 kv heads (8 q heads) per layer, A-VL images (keep 0.5, compute 0.3) and
// explicit text budgets: layer 0 [30, 30, 2, 2], layer 1 [30, 2, 30, 2].
nlohmann::json scenario(const std::string& placement, const std::string& trace = "x.csv") {
  auto doc = kvsim::testing::tiny_vlm_scenario(
      2, trace,
      {{"kind", "a_vl"},
       {"text", {{"budgets", {{"kind", "explicit"}, {"budgets", {{30, 30, 2, 2}, {30, 2, 30, 2}}}}}}}});
  doc["model"]["kv_heads"] = 4;
  doc["model"]["q_heads"] = 8;
  doc["model"]["hidden"] = 128;
  doc["placement"] = {{"kind", placement}};
  return doc;
}

struct Placed {
  kvsim::KvFootprint fp;
  kvsim::Placement placement;
};

Placed place(const std::string& kind) {
  const kvsim::Scenario s = kvsim::parse_scenario(scenario(kind), "t.json", ".");
  const auto policy = kvsim::make_attention_policy(s);
  const kvsim::Request shape = vlm_request(0, 4, 100, 40, 1);
  kvsim::PlacementRequest preq{.model = &s.model, .gpus = 2};
  preq.head_load = kvsim::mean_stored_per_head(*policy, s.model, 4, shape, 9);
  Placed out{.fp = {}, .placement = kvsim::make_placement(s.placement, preq, s.file, "/placement")};
  kvsim::PolicyFootprint f;
  policy->footprint(shape, f);
  kvsim::compute_footprint(s.model, 2, out.placement, f, 0, shape.prompt_tokens, shape.output_tokens, out.fp);
  return out;
}

}  // namespace

TEST_CASE("per-head text budgets ride on A-VL's per-layer image selection") {
  const kvsim::Scenario s = kvsim::parse_scenario(scenario("tensor_parallel"), "t.json", ".");
  kvsim::PolicyFootprint f;
  kvsim::make_attention_policy(s)->footprint(vlm_request(0, 4, 100, 40, 1), f);
  // Stored: 4 + 50 + min(budget, 40); computed: 4 + 30 + the same text.
  CHECK(f.stored.kept == std::vector<std::int32_t>{84, 84, 56, 56, 84, 56, 84, 56});
  CHECK(f.computed == std::vector<std::int32_t>{64, 64, 36, 36, 64, 36, 64, 36});
  CHECK(f.refresh_extra == std::vector<std::int32_t>(8, 20));
}

TEST_CASE("TP leaves the text budgets' imbalance; best_effort evens it out") {
  const Placed tp = place("tensor_parallel");
  // TP: GPU 0 holds heads 0-1, GPU 1 heads 2-3. Cells [layer * 2 + gpu].
  CHECK(tp.fp.kept == std::vector<double>{168, 112, 140, 140});
  CHECK(tp.fp.computed == std::vector<double>{128, 72, 100, 100});
  CHECK(tp.fp.refresh_extra == std::vector<double>{40, 40, 40, 40});
  const Placed be = place("best_effort");
  // Best effort pairs a heavy head with a light one in every layer.
  CHECK(be.fp.kept == std::vector<double>{140, 140, 140, 140});
  CHECK(be.fp.computed == std::vector<double>{100, 100, 100, 100});
  // Placement moves tokens between GPUs, never changes how many.
  double tp_total = 0, be_total = 0;
  for (double k : tp.fp.kept) tp_total += k;
  for (double k : be.fp.kept) be_total += k;
  CHECK(tp_total == be_total);
}

TEST_CASE("A-VL with per-head budgets runs under TP and FairKV placements") {
  kvsim::testing::TempDir dir;
  std::string csv = "arrival_s,prefix_tokens,images,image_tokens,prompt_tokens,output_tokens\n";
  for (int i = 0; i < 16; ++i) csv += "0,4,1,100,40,12\n";
  const std::string trace = dir.write("t.csv", csv);
  auto run = [&](const std::string& kind) {
    return kvsim::simulate(kvsim::parse_scenario(scenario(kind, trace), "t.json", dir.path()));
  };
  const kvsim::RunResult tp = run("tensor_parallel");
  const kvsim::RunResult fair = run("fair_copying");
  for (const auto* r : {&tp, &fair}) {
    CHECK(std::all_of(r->requests.begin(), r->requests.end(), [](const auto& q) { return q.completed(); }));
  }
  // TP: GPU 0 holds 168 + 140 stored tokens per request after prefill, GPU 1 112 + 140.
  CHECK(tp.gpu[0].peak_kv_bytes > tp.gpu[1].peak_kv_bytes);
  const auto fullest = [](const kvsim::RunResult& r) { return std::max(r.gpu[0].peak_kv_bytes, r.gpu[1].peak_kv_bytes); };
  CHECK(fullest(fair) < fullest(tp));
  CHECK(fair.decode_attention_s < tp.decode_attention_s);
}
