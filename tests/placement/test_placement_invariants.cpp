// Placement invariants: every (layer, kv head) served by exactly one copy per request, copy shares
// matched by the request routing, equal head counts, budgets, memory. Run: ctest -R placement
#include <algorithm>
#include <cmath>
#include <map>

#include "sim/placement/placement.h"
#include "tests/placement/placement_test_support.h"
#include "tests/support/catch.h"

using namespace kvsim;
using namespace kvsim::test;

namespace {

const ModelSpec& llama70b() {
  static const ModelSpec m = *model_preset("llama-3-70b");
  return m;
}


}  // namespace

TEST_CASE("tensor_parallel puts contiguous kv heads on each GPU") {
  const ModelSpec& m = llama70b();
  const auto r8 = request_for(m, 8, skewed_loads(m, 1));
  const Placement p8 = place("tensor_parallel", r8);
  const auto r4 = request_for(m, 4, skewed_loads(m, 1));
  const Placement p4 = place("tensor_parallel", r4);
  for (int l = 0; l < m.layers; ++l)
    for (int h = 0; h < m.kv_heads; ++h) {
      REQUIRE(p8.head_copies(l, h).size() == 1);
      CHECK(p8.head_copies(l, h)[0].gpu == h);
      CHECK(p4.head_copies(l, h)[0].gpu == h / 2);
    }
  CHECK(p8.extra_copies() == 0);
  CHECK(placement_problem(p8).empty());
}

TEST_CASE("every placement kind is well formed and serves each (layer, head) once per request") {
  const ModelSpec m = tiny_model(6, 12);  // 12 kv heads on 8 GPUs: not a multiple, so no tensor_parallel
  const auto r = request_for(m, 8, skewed_loads(m, 7), 4.0);
  for (const std::string kind : {"best_effort", "fair_copying", "balanced_split"}) {
    const Placement p = kind == std::string("best_effort") ? place(kind, r) : place(kind, r, {{"head_weight_tokens", 0}});
    INFO(kind);
    REQUIRE(placement_problem(p).empty());
    std::vector<double> tokens(static_cast<std::size_t>(m.layers) * m.kv_heads);
    for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i] = 1.0 + static_cast<double>(i % 7);
    double expected = 0;
    for (double t : tokens) expected += t;
    for (std::int64_t request = 0; request < 500; ++request) {
      for (int l = 0; l < m.layers; ++l)
        for (int h = 0; h < m.kv_heads; ++h) {
          const int c = p.copy_for_request(l, h, request);
          REQUIRE(c >= 0);
          REQUIRE(c < static_cast<int>(p.head_copies(l, h).size()));
          CHECK(p.copy_for_request(l, h, request) == c);  // deterministic
        }
      // Each request's KV lands exactly once: the tokens over all GPUs add up to its own.
      std::vector<double> lg(static_cast<std::size_t>(m.layers) * p.gpus, 0.0);
      add_request_load(p, request, tokens, lg);
      double placed = 0;
      for (double v : lg) placed += v;
      REQUIRE(placed == Approx(expected));
    }
  }
}

TEST_CASE("request routing gives each copy its share") {
  const ModelSpec& m = llama70b();
  const auto r = request_for(m, 8, skewed_loads(m, 3), 64.0);
  const Placement p = place("fair_copying", r, {{"head_weight_tokens", 0}, {"copy_budget", 200}});
  REQUIRE(p.extra_copies() > 0);
  const std::int64_t n = 20000;
  int checked = 0;
  for (int l = 0; l < m.layers; ++l)
    for (int h = 0; h < m.kv_heads; ++h) {
      const auto& copies = p.head_copies(l, h);
      if (copies.size() < 2) continue;
      std::vector<std::int64_t> served(copies.size(), 0);
      for (std::int64_t i = 0; i < n; ++i) ++served[p.copy_for_request(l, h, i)];
      for (std::size_t c = 0; c < copies.size(); ++c) {
        INFO("layer " << l << " head " << h << " copy " << c);
        CHECK(std::abs(static_cast<double>(served[c]) / n - copies[c].share) < 0.002);
      }
      ++checked;
    }
  CHECK(checked > 0);
}

TEST_CASE("equal_heads gives every GPU the same number of heads per layer") {
  const ModelSpec llava = *model_preset("llava-1.5-7b");  // 32 kv heads
  const Placement even = place("best_effort", request_for(llava, 8, skewed_loads(llava, 5)), {{"equal_heads", true}});
  for (int l = 0; l < llava.layers; ++l) {
    std::vector<int> count(8, 0);
    for (int h = 0; h < llava.kv_heads; ++h) ++count[even.head_copies(l, h)[0].gpu];
    CHECK(std::all_of(count.begin(), count.end(), [](int c) { return c == 4; }));
  }
  const ModelSpec odd = tiny_model(4, 12);  // 12 heads on 8 GPUs: 1 or 2 each, four GPUs with 2
  const Placement near = place("best_effort", request_for(odd, 8, skewed_loads(odd, 6)), {{"equal_heads", true}});
  for (int l = 0; l < odd.layers; ++l) {
    std::vector<int> count(8, 0);
    for (int h = 0; h < odd.kv_heads; ++h) ++count[near.head_copies(l, h)[0].gpu];
    CHECK(std::count(count.begin(), count.end(), 2) == 4);
    CHECK(std::count(count.begin(), count.end(), 1) == 4);
  }
  // Without equal_heads a skewed layer puts light heads together.
  const Placement free = place("best_effort", request_for(llava, 8, skewed_loads(llava, 5)), {{"equal_heads", false}});
  bool uneven = false;
  for (int l = 0; l < llava.layers; ++l) {
    std::vector<int> count(8, 0);
    for (int h = 0; h < llava.kv_heads; ++h) ++count[free.head_copies(l, h)[0].gpu];
    uneven = uneven || *std::max_element(count.begin(), count.end()) != 4;
  }
  CHECK(uneven);
}

TEST_CASE("best_effort balances whole-model KV across GPUs") {
  const ModelSpec& m = llama70b();
  const auto load = skewed_loads(m, 11);
  const auto r = request_for(m, 8, load);
  const PlacementQuality tp = evaluate_placement(place("tensor_parallel", r), m, load);
  const PlacementQuality be = evaluate_placement(place("best_effort", r), m, load);
  CHECK(be.kv_max_over_mean < tp.kv_max_over_mean);
  CHECK(be.kv_max_over_mean < 1.01);
}

TEST_CASE("copy budget and max_copies_per_head are respected") {
  const ModelSpec& m = llama70b();
  const auto r = request_for(m, 8, skewed_loads(m, 13), 32.0);
  for (const std::string kind : {"fair_copying", "balanced_split"}) {
    INFO(kind);
    const Placement none = place(kind, r, {{"copy_budget", 0}});
    CHECK(none.extra_copies() == 0);
    const Placement some = place(kind, r, {{"copy_budget", 17}, {"max_copies_per_head", 2}, {"head_weight_tokens", 0}});
    CHECK(some.extra_copies() <= 17);
    CHECK(some.extra_copies() > 0);
    for (const auto& c : some.copies) CHECK(c.size() <= 2);
  }
}

TEST_CASE("copies never push the fullest GPU over the memory limit") {
  const ModelSpec& m = llama70b();
  const auto load = skewed_loads(m, 17);
  const double R = 64;
  const auto base_bytes = memory_bytes(place("best_effort", request_for(m, 8, load, R)), m, load, R);
  const double fullest_base = *std::max_element(base_bytes.begin(), base_bytes.end());
  // Room for a handful of extra head slices on the fullest GPU, not for dozens.
  const auto limit = static_cast<std::int64_t>(fullest_base + 3.5 * static_cast<double>(m.attention_weight_bytes_per_kv_head()));
  const auto r = request_for(m, 8, load, R, limit);
  for (const std::string kind : {"fair_copying", "balanced_split"}) {
    INFO(kind);
    const Placement p = place(kind, r, {{"head_weight_tokens", 0}});
    const auto bytes = memory_bytes(p, m, load, R);
    CHECK(*std::max_element(bytes.begin(), bytes.end()) <= static_cast<double>(limit));
    CHECK(p.extra_copies() > 0);
    CHECK(p.extra_copies() < 40);  // unlimited memory would take hundreds (next test)
  }
  const Placement unlimited = place("balanced_split", request_for(m, 8, load, R), {{"head_weight_tokens", 0}});
  CHECK(unlimited.extra_copies() > 100);
}

TEST_CASE("to_json lists every copy with its share") {
  const ModelSpec m = tiny_model(3, 4);
  const auto r = request_for(m, 2, {9, 1, 1, 1, 2, 2, 2, 2, 5, 1, 1, 1});
  const Placement p = place("balanced_split", r, {{"head_weight_tokens", 0}});
  const nlohmann::json j = p.to_json();
  CHECK(j.at("kind") == "balanced_split");
  REQUIRE(j.at("layer_gpu_heads").size() == 3);
  std::size_t entries = 0;
  double share_sum = 0;
  for (const auto& layer : j.at("layer_gpu_heads"))
    for (const auto& gpu : layer)
      for (const auto& e : gpu) ++entries, share_sum += e.at("share").get<double>();
  CHECK(entries == static_cast<std::size_t>(m.layers * m.kv_heads + p.extra_copies()));
  CHECK(share_sum == Approx(m.layers * m.kv_heads));
  CHECK(j.at("extra_copies") == p.extra_copies());
}
