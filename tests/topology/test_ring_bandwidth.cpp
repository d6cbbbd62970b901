// Ring bus bandwidth of every preset against a bottleneck computed by hand from the preset's link
// numbers (presets.cpp). Run: ctest --test-dir build -R topology
#include <limits>
#include <vector>

#include "sim/topology/topology.h"
#include "tests/support/catch.h"
#include "tests/topology/topology_test_util.h"

using kvsim::make_topology;
using nlohmann::json;

using kvsim::testing::GB;
using kvsim::testing::iota;
using kvsim::testing::us;

TEST_CASE("hgx-h200-8: every GPU has its own 450 GB/s NVSwitch link, so any ring runs at 450 GB/s") {
  const auto t = make_topology("hgx-h200-8", "s.json", "/topology");
  REQUIRE(t.gpu_count() == 8);
  REQUIRE(t.host_count() == 1);
  const auto all = iota(0, 8);
  CHECK(t.ring(all).bandwidth_bytes_per_s == Approx(450 * GB));
  CHECK(t.ring(all).latency_s == Approx(0.6 * us));  // GPU-NVSwitch-GPU: 2 x 0.3 us
  // NVSwitch is non-blocking: a scrambled order shares no link direction either.
  const std::vector<int> scrambled{0, 5, 2, 7, 1, 4, 3, 6};
  CHECK(t.ring(scrambled).bandwidth_bytes_per_s == Approx(450 * GB));
  CHECK(t.gpu_path(0, 5).bandwidth_bytes_per_s == Approx(450 * GB));
  CHECK(t.gpu_path(0, 5).latency_s == Approx(0.6 * us));
}

TEST_CASE("nvlink-2: the bridge's two directions carry the two ring hops") {
  const auto t = make_topology("nvlink-2", "s.json", "/topology");
  REQUIRE(t.gpu_count() == 2);
  const auto ring = t.ring(iota(0, 2));
  CHECK(ring.bandwidth_bytes_per_s == Approx(450 * GB));
  CHECK(ring.latency_s == Approx(0.6 * us));
}

TEST_CASE("pcie-2socket-8: ring in id order is limited by a 64 GB/s PCIe link, no link shared") {
  const auto t = make_topology("pcie-2socket-8", "s.json", "/topology");
  REQUIRE(t.gpu_count() == 8);
  const auto ring = t.ring(iota(0, 8));
  CHECK(ring.bandwidth_bytes_per_s == Approx(64 * GB));
  // Hop latencies: same switch 2 links (1.0 us), across switches 4 links (2.0 us), across sockets
  // 4 PCIe links + the socket link (2.5 us): 1 + 2 + 1 + 2.5 + 1 + 2 + 1 + 2.5 = 13 us over 8 hops.
  CHECK(ring.latency_s == Approx(13.0 / 8 * us));
}

TEST_CASE("pcie-2socket-8: a ring that crosses a switch uplink twice in one direction halves it") {
  const auto t = make_topology("pcie-2socket-8", "s.json", "/topology");
  // 0,1 under pcie0; 2,3 under pcie1. Hops 0->2 and 1->3 both go up pcie0 -> cpu0: 64 / 2.
  const std::vector<int> order{0, 2, 1, 3};
  CHECK(t.ring(order).bandwidth_bytes_per_s == Approx(32 * GB));
  // The same four GPUs in switch order share nothing: 64.
  CHECK(t.ring(iota(0, 4)).bandwidth_bytes_per_s == Approx(64 * GB));
}

TEST_CASE("pcie-2socket-8: a slow socket link becomes the ring's bottleneck") {
  const auto t = make_topology(json{{"preset", "pcie-2socket-8"}, {"socket_link_gbps", 20}}, "s.json", "/topology");
  CHECK(t.ring(iota(0, 8)).bandwidth_bytes_per_s == Approx(20 * GB));
  CHECK(t.ring(iota(0, 4)).bandwidth_bytes_per_s == Approx(64 * GB));  // one socket: not crossed
}

TEST_CASE("ib-2node-hgx: 16-GPU ring is spread over 8 rails, 8 x 50 GB/s = 400 GB/s < NVLink 450") {
  const auto t = make_topology("ib-2node-hgx", "s.json", "/topology");
  REQUIRE(t.gpu_count() == 16);
  REQUIRE(t.host_count() == 2);
  const auto ring = t.ring(iota(0, 16));
  CHECK(ring.bandwidth_bytes_per_s == Approx(400 * GB));
  // 14 NVSwitch hops of 0.6 us, 2 crossings of GPU-PCIe-NIC-rail-NIC-PCIe-GPU:
  // 0.5 + 0.5 + 1.35 + 1.35 + 0.5 + 0.5 = 4.7 us.
  CHECK(ring.latency_s == Approx((14 * 0.6 + 2 * 4.7) / 16 * us));
  // Within one node the NVSwitch limit applies.
  CHECK(t.ring(iota(8, 8)).bandwidth_bytes_per_s == Approx(450 * GB));
}

TEST_CASE("multi-node: a TP group with one GPU per node gets one NIC, 50 GB/s") {
  const auto t = make_topology(json{{"preset", "multi-node"}, {"nodes", 4}, {"node", "hgx-h200-8"},
                                    {"nic", "roce-400"}, {"rail_optimized", true}},
                               "s.json", "/topology");
  REQUIRE(t.gpu_count() == 32);
  REQUIRE(t.host_count() == 4);
  const std::vector<int> one_per_node{0, 8, 16, 24};
  CHECK(t.ring(one_per_node).bandwidth_bytes_per_s == Approx(50 * GB));
  const std::vector<int> two_per_node{0, 1, 8, 9};  // GPUs 0 and 1 own NICs 0 and 1: 2 rails
  CHECK(t.ring(two_per_node).bandwidth_bytes_per_s == Approx(100 * GB));
}

TEST_CASE("multi-node: not rail-optimized with a 2:1 oversubscribed spine halves the crossing") {
  const auto t = make_topology(json{{"preset", "multi-node"}, {"nodes", 2}, {"node", "hgx-h200-8"},
                                    {"nic", "ib-ndr-400"}, {"rail_optimized", false}, {"oversubscription", 2}},
                               "s.json", "/topology");
  // All 8 rails of node 0 leave through leaf0 -> spine: 8 x 50 / 2 = 200 GB/s, load 8 x 1/8 = 1.
  CHECK(t.ring(iota(0, 16)).bandwidth_bytes_per_s == Approx(200 * GB));
  // Crossing: GPU-PCIe-NIC-leaf-spine-leaf-NIC-PCIe-GPU = 4 x 0.5 + 2 x 1.35 + 2 x 0.5 = 5.7 us
  CHECK(t.gpu_path(0, 8).latency_s == Approx(5.7 * us));
  CHECK(t.gpu_path(0, 8).bandwidth_bytes_per_s == Approx(50 * GB));
}

TEST_CASE("multi-node of PCIe servers: one NIC per PCIe switch, shared by its two GPUs") {
  const auto t = make_topology(json{{"preset", "multi-node"}, {"nodes", 2}, {"node", "pcie-2socket-8"}},
                               "s.json", "/topology");
  REQUIRE(t.gpu_count() == 16);
  // 4 rails x 50 GB/s = 200, but intra-node PCIe ring hops already cap at 64 and the rail routes
  // add 1/4 load on GPU 0/2/4/6 -> switch links: 64 / 1.25 = 51.2 (GPU 2 -> pcie1 carries hop 2->3
  // and a quarter of hop 7->8), so the ring runs at 51.2 GB/s.
  CHECK(t.ring(iota(0, 16)).bandwidth_bytes_per_s == Approx(51.2 * GB));
}

TEST_CASE("explicit graph equals the preset it was exported from") {
  const auto hgx2 = make_topology("ib-2node-hgx", "s.json", "/topology");
  const auto copy = make_topology(hgx2.to_json(), "s.json", "/topology");
  REQUIRE(copy.gpu_count() == hgx2.gpu_count());
  CHECK(copy.ring(iota(0, 16)).bandwidth_bytes_per_s == Approx(hgx2.ring(iota(0, 16)).bandwidth_bytes_per_s));
  CHECK(copy.ring(iota(0, 16)).latency_s == Approx(hgx2.ring(iota(0, 16)).latency_s));
  CHECK(copy.host_count() == 2);
}

TEST_CASE("a one-GPU group costs nothing") {
  const auto t = make_topology("hgx-h200-8", "s.json", "/topology");
  const std::vector<int> one{3};
  CHECK(t.ring(one).bandwidth_bytes_per_s == std::numeric_limits<double>::infinity());
  CHECK(t.allreduce_s(1 << 20, one) == 0.0);
  CHECK(t.sendrecv_s(1 << 20, 3, 3) == 0.0);
}
