// All-reduce, all-gather and send/recv times against hand arithmetic, the ring/tree choice, and
// measured NCCL data overriding the model. Run: ctest --test-dir build -R topology
#include <cmath>
#include <vector>

#include "sim/core/input_error.h"
#include "sim/topology/topology.h"
#include "tests/support/catch.h"
#include "tests/topology/topology_test_util.h"

using kvsim::make_topology;

using kvsim::testing::GB;
using kvsim::testing::iota;
using kvsim::testing::us;

TEST_CASE("hgx-h200-8 all-reduce: 2(n-1) steps of 0.6 us + 2(n-1)/n * bytes / 450 GB/s") {
  const auto t = make_topology("hgx-h200-8", "s.json", "/topology");
  const std::int64_t bytes = 64LL << 20;
  const double expected = 14 * 0.6 * us + 14.0 / 8 * static_cast<double>(bytes) / (450 * GB);
  CHECK(t.allreduce_s(bytes, iota(0, 8)) == Approx(expected));
  // nccl-tests convention: busbw = algbw * 2(n-1)/n recovers the ring bandwidth (latency aside).
  const double algbw = static_cast<double>(bytes) / (expected - 14 * 0.6 * us);
  CHECK(algbw * 14.0 / 8 == Approx(450 * GB));
  // Single host: no tree, so the ring is the answer.
  CHECK_FALSE(t.group_cost(iota(0, 8)).has_tree);
  CHECK(t.allreduce_s(0, iota(0, 8)) == 0.0);
}

TEST_CASE("TP=2 all-reduce on hgx: 2 steps of latency, bytes once over the link") {
  const auto t = make_topology("hgx-h200-8", "s.json", "/topology");
  const std::vector<int> pair{2, 3};
  const std::int64_t bytes = 1 << 20;
  CHECK(t.allreduce_s(bytes, pair) == Approx(2 * 0.6 * us + 1.0 * static_cast<double>(bytes) / (450 * GB)));
}

TEST_CASE("all-gather: (n-1) steps + (n-1)/n * total bytes / busbw") {
  const auto t = make_topology("pcie-2socket-8", "s.json", "/topology");
  const std::int64_t total = 8LL << 20;
  const double expected = 7 * (13.0 / 8) * us + 7.0 / 8 * static_cast<double>(total) / (64 * GB);
  CHECK(t.allgather_s(total, iota(0, 8)) == Approx(expected));
}

TEST_CASE("send/recv: path latency + bytes / path bandwidth, across nodes over one NIC") {
  const auto t = make_topology("ib-2node-hgx", "s.json", "/topology");
  const std::int64_t bytes = 1000000;
  CHECK(t.sendrecv_s(bytes, 0, 8) == Approx(4.7 * us + 1e6 / (50 * GB)));
  CHECK(t.sendrecv_s(bytes, 0, 1) == Approx(0.6 * us + 1e6 / (450 * GB)));
  CHECK(t.sendrecv_s(bytes, 8, 0) == Approx(t.sendrecv_s(bytes, 0, 8)));
}

TEST_CASE("two nodes: tree for small messages, ring for large ones") {
  const auto t = make_topology("ib-2node-hgx", "s.json", "/topology");
  const auto group = iota(0, 16);
  const auto cost = t.group_cost(group);
  REQUIRE(cost.has_tree);
  // Tree latency: 2 * ((8 - 1) * 0.6 + ceil(log2 2) * 4.7) = 17.8 us; ring: 30 steps of the mean
  // hop, (14 * 0.6 + 2 * 4.7) / 16 = 1.1125 us.
  CHECK(cost.tree_latency_s == Approx(17.8 * us));
  const std::int64_t small = 1 << 20;
  const double tree = 17.8 * us + 2.0 * small / (400 * GB);
  const double ring = 30 * 1.1125 * us + 30.0 / 16 * small / (400 * GB);
  REQUIRE(tree < ring);
  CHECK(t.allreduce_s(small, group) == Approx(tree));
  const std::int64_t large = 1LL << 30;
  const double ring_large = 30 * 1.1125 * us + 30.0 / 16 * static_cast<double>(large) / (400 * GB);
  CHECK(t.allreduce_s(large, group) == Approx(ring_large));
  CHECK(cost.tree_allreduce_s(large) > ring_large);
}

TEST_CASE("measured all-reduce takes precedence and is exact at its points") {
  auto t = make_topology("hgx-h200-8", "s.json", "/topology");
  const kvsim::MeasuredCurve curve{{1024, 10 * us}, {1 << 20, 20 * us}, {1 << 30, 2000 * us}};
  t.set_measured_allreduce(8, curve);
  const auto group = iota(0, 8);
  for (const auto& [bytes, seconds] : curve) CHECK(t.allreduce_s(bytes, group) == Approx(seconds));
  // Log-log midpoint of (2^10, 10 us) and (2^20, 20 us) is (2^15, sqrt(10 * 20) us).
  CHECK(t.allreduce_s(1 << 15, group) == Approx(std::sqrt(200.0) * us));
  CHECK(t.allreduce_s(16, group) == Approx(10 * us));  // below the first point: clamped
  const double slope = (2000 - 20) * us / static_cast<double>((1 << 30) - (1 << 20));
  CHECK(t.allreduce_s(1LL << 31, group) == Approx(2000 * us + slope * static_cast<double>(1LL << 30)));
  // Other group sizes keep the model.
  const std::vector<int> four = iota(0, 4);
  CHECK(t.allreduce_s(1 << 20, four) == Approx(6 * 0.6 * us + 1.5 * (1 << 20) / (450 * GB)));
}

TEST_CASE("measured data keyed by exact shape beats the any-hosts key") {
  auto t = make_topology("ib-2node-hgx", "s.json", "/topology");
  t.set_measured_allreduce(8, {{1 << 20, 30 * us}});
  t.set_measured_allreduce(kvsim::GroupShape{.gpus = 8, .hosts = 2}, {{1 << 20, 90 * us}});
  const std::vector<int> inside{0, 1, 2, 3, 4, 5, 6, 7};
  const std::vector<int> spanning{0, 1, 2, 3, 8, 9, 10, 11};
  CHECK(t.allreduce_s(1 << 20, inside) == Approx(30 * us));
  CHECK(t.allreduce_s(1 << 20, spanning) == Approx(90 * us));
  CHECK(t.allreduce_s(1 << 21, inside) == Approx(60 * us));  // one point: scales with bytes beyond it
}

TEST_CASE("measured points must be increasing in bytes and positive in time") {
  auto t = make_topology("hgx-h200-8", "s.json", "/topology");
  bool thrown = false;
  try {
    t.set_measured_allreduce(8, {{4096, 1e-5}, {1024, 2e-5}}, "prof.json", "/nccl/allreduce/8");
  } catch (const kvsim::InputError& e) {
    thrown = true;
    CHECK(std::string(e.what()).find("prof.json: /nccl/allreduce/8/1: expected bytes > 0") != std::string::npos);
  }
  CHECK(thrown);
  CHECK_THROWS_AS(t.set_measured_allreduce(8, {{4096, -1.0}}), kvsim::InputError);
  CHECK_THROWS_AS(t.set_measured_allreduce(8, {}), kvsim::InputError);
  CHECK_THROWS_AS(t.set_measured_allreduce(9, {{4096, 1e-5}}), kvsim::InputError);
}

TEST_CASE("group errors are programming errors, not input errors") {
  const auto t = make_topology("hgx-h200-8", "s.json", "/topology");
  const std::vector<int> repeated{0, 1, 1};
  const std::vector<int> outside{0, 8};
  CHECK_THROWS_AS(t.ring(repeated), std::invalid_argument);
  CHECK_THROWS_AS(t.ring(outside), std::out_of_range);
  CHECK_THROWS_AS(t.sendrecv_s(10, 0, 9), std::out_of_range);
}
