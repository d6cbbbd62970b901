// Placement costs: weights and per-layer loads computed by hand on tiny models, the lower bound
// against every kind on random loads, and the ordering of the kinds on skewed loads.
#include <algorithm>

#include "sim/placement/placement.h"
#include "tests/placement/placement_test_support.h"
#include "tests/support/catch.h"

using namespace kvsim;
using namespace kvsim::test;

TEST_CASE("weight bytes per GPU computed by hand") {
  const ModelSpec m = tiny_model(2, 2);
  // Wq,Wk,Wv,Wo slices: 8 hidden * 4 head_dim * (2*2 q + 2) * 2 bytes = 384 per kv head.
  REQUIRE(m.attention_weight_bytes_per_kv_head() == 384);
  // 2 layers * (2*384 + MLP 3*8*16*2 = 768 + norms 2*8*2 = 32) + embeddings 10*8*2*2 = 320 + norm 16.
  REQUIRE(m.total_weight_bytes() == 3472);
  const auto tp = place("tensor_parallel", request_for(m, 2, {1, 1, 1, 1}));
  // Non-attention 3472 - 4*384 = 1936, half each, plus two head slices each.
  CHECK(tp.weight_bytes_per_gpu(m) == std::vector<std::int64_t>{968 + 768, 968 + 768});

  // Three GPUs, one extra copy: layer 0 heads on GPUs 0 and 1; layer 1 both on GPU 2, head 1 copied to 0.
  Placement p;
  p.kind = "manual", p.layers = 2, p.kv_heads = 2, p.gpus = 3;
  p.copies = {{{0, 1.0}}, {{1, 1.0}}, {{2, 1.0}}, {{0, 0.25}, {2, 0.75}}};
  REQUIRE(placement_problem(p).empty());
  // 1936 / 3 = 645 remainder 1: GPU 0 gets the extra byte.
  CHECK(p.weight_bytes_per_gpu(m) == std::vector<std::int64_t>{646 + 2 * 384, 645 + 384, 645 + 2 * 384});
  CHECK(p.extra_copies() == 1);
  CHECK(p.copies_per_gpu() == std::vector<int>{2, 1, 2});

  // Loads: layer 0 heads (10, 30), layer 1 heads (20, 8).
  const std::vector<double> load{10, 30, 20, 8};
  CHECK(p.layer_gpu_load(load) == std::vector<double>{10, 30, 0, 2, 0, 26});
  CHECK(placement_cost(p, load) == Approx(30 + 26));
  CHECK(placement_objective(p, load, 1.5) == Approx(31.5 + 29));
  CHECK(placement_cost(tp, load) == Approx(30 + 20));
}

TEST_CASE("lower bound computed by hand") {
  const ModelSpec m = tiny_model(2, 2);
  const std::vector<double> load{10, 30, 20, 8};
  // With copying: total / gpus per layer. Without: also the heaviest head.
  CHECK(lower_bound_cost(m, 2, load) == Approx(20 + 14));
  CHECK(lower_bound_cost(m, 2, load, PlacementClass::without_copying) == Approx(30 + 20));
  CHECK(lower_bound_cost(m, 2, load, PlacementClass::with_copying, 2.0) == Approx((40 + 4) / 2.0 + (28 + 4) / 2.0));
  // Five heads on two GPUs without copies: some GPU holds the 3 lightest (2+2+2) and two of the three
  // heaviest (3+2).
  const ModelSpec five = tiny_model(1, 5);
  CHECK(lower_bound_cost(five, 2, {3, 3, 2, 2, 2}, PlacementClass::without_copying) == Approx(6));
}

TEST_CASE("the lower bound is never above any placement's cost") {
  const ModelSpec models[] = {tiny_model(8, 8), tiny_model(6, 12), tiny_model(5, 16)};
  for (const ModelSpec& m : models)
    for (int gpus : {2, 4, 8})
      for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        const auto load = skewed_loads(m, seed * 101 + static_cast<std::uint64_t>(gpus));
        const auto r = request_for(m, gpus, load, 8.0);
        const double k = auto_head_weight_tokens(m, 8.0);
        const double lb = lower_bound_cost(m, gpus, load);
        const double lb_k = lower_bound_cost(m, gpus, load, PlacementClass::with_copying, k);
        const double lb_nc = lower_bound_cost(m, gpus, load, PlacementClass::without_copying);
        for (const std::string& kind : placement_kinds()) {
          if (kind == "tensor_parallel" && m.kv_heads % gpus != 0) continue;
          const Placement p = place(kind, r);
          INFO(kind << " kv_heads " << m.kv_heads << " gpus " << gpus << " seed " << seed);
          const double cost = placement_cost(p, load);
          CHECK(lb <= cost * (1 + 1e-12));
          CHECK(lb_k <= placement_objective(p, load, k) * (1 + 1e-12));
          if (p.extra_copies() == 0) CHECK(lb_nc <= cost * (1 + 1e-12));
        }
      }
}

TEST_CASE("on skewed loads: balanced_split <= fair_copying <= best_effort <= tensor_parallel") {
  const ModelSpec m = *model_preset("llama-3-70b");
  const auto load = skewed_loads(m, 42);
  const auto r = request_for(m, 8, load, 64.0);
  const nlohmann::json opts{{"head_weight_tokens", 0}, {"copy_budget", 120}};
  const double tp = placement_cost(place("tensor_parallel", r), load);
  const double be = placement_cost(place("best_effort", r), load);
  const Placement fc_p = place("fair_copying", r, opts);
  const Placement bs_p = place("balanced_split", r, opts);
  const double fc = placement_cost(fc_p, load), bs = placement_cost(bs_p, load);
  const double lb = lower_bound_cost(m, 8, load);
  CHECK(be <= tp * (1 + 1e-12));  // one head per GPU per layer: equal, whole-model balance differs
  CHECK(fc < be);
  CHECK(bs < fc);                 // same budget, spent optimally
  CHECK(bs_p.search.at("chosen") == "split");
  CHECK(lb <= bs);
  CHECK(fc_p.extra_copies() <= 120);
  CHECK(bs_p.extra_copies() <= 120);
}

TEST_CASE("balanced_split reaches the lower bound when copies are free and unlimited") {
  const ModelSpec m = tiny_model(10, 8);
  const auto load = skewed_loads(m, 9);
  const Placement p = place("balanced_split", request_for(m, 8, load), {{"head_weight_tokens", 0}});
  CHECK(placement_cost(p, load) == Approx(lower_bound_cost(m, 8, load)).epsilon(1e-9));
  CHECK(p.extra_copies() <= m.layers * 7);  // at most G-1 extra copies per layer
}

TEST_CASE("balanced_split finds the exact no-copy partition where LPT does not") {
  // Five heads (3, 3, 2, 2, 2) on two GPUs: LPT gives {3, 2, 2} and {3, 2} = 7; best is {3, 3} {2, 2, 2} = 6.
  const ModelSpec m = tiny_model(1, 5);
  const auto r = request_for(m, 2, {3, 3, 2, 2, 2});
  const nlohmann::json no_copies{{"copy_budget", 0}, {"head_weight_tokens", 0}};
  CHECK(placement_cost(place("best_effort", r, {{"equal_heads", false}}), r.head_load) == Approx(7));
  const Placement bs = place("balanced_split", r, no_copies);
  CHECK(placement_cost(bs, r.head_load) == Approx(6));
  CHECK(bs.extra_copies() == 0);
  // With one copy the layer levels at the bound, 12 / 2.
  CHECK(placement_cost(place("balanced_split", r, {{"copy_budget", 1}, {"head_weight_tokens", 0}}), r.head_load) ==
        Approx(6));
  const auto r2 = request_for(m, 2, {9, 1, 1, 1, 1});
  CHECK(placement_cost(place("balanced_split", r2, no_copies), r2.head_load) == Approx(9));
  CHECK(placement_cost(place("balanced_split", r2, {{"copy_budget", 1}, {"head_weight_tokens", 0}}), r2.head_load) ==
        Approx(6.5));
}

TEST_CASE("a per-copy weight cost makes copies pay for themselves") {
  const ModelSpec m = *model_preset("llama-3-70b");
  const auto load = skewed_loads(m, 21);
  const auto free_copies = place("balanced_split", request_for(m, 8, load, 64.0), {{"head_weight_tokens", 0}});
  const auto charged = place("balanced_split", request_for(m, 8, load, 64.0));  // auto: 37.7 MB / (64 * 512 B)
  CHECK(charged.search.at("head_weight_tokens").get<double>() == Approx(auto_head_weight_tokens(m, 64.0)));
  CHECK(charged.extra_copies() < free_copies.extra_copies());
  const double k = auto_head_weight_tokens(m, 64.0);
  CHECK(placement_objective(charged, load, k) < placement_objective(free_copies, load, k));
  CHECK(placement_objective(charged, load, k) <=
        placement_objective(place("fair_copying", request_for(m, 8, load, 64.0)), load, k) * (1 + 1e-12));
}
