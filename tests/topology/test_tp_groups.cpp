// TP groups: partition of the GPUs, inside hosts when possible. Run: ctest --test-dir build -R topology
#include <vector>

#include "sim/topology/topology.h"
#include "tests/support/catch.h"

using kvsim::make_topology;
using nlohmann::json;
using Groups = std::vector<std::vector<int>>;

TEST_CASE("tp_groups on two HGX nodes: inside a node up to 8, whole nodes beyond") {
  const auto t = make_topology("ib-2node-hgx", "s.json", "/topology");
  CHECK(t.tp_groups(8) == Groups{{0, 1, 2, 3, 4, 5, 6, 7}, {8, 9, 10, 11, 12, 13, 14, 15}});
  CHECK(t.tp_groups(4) == Groups{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}, {12, 13, 14, 15}});
  const Groups sixteen = t.tp_groups(16);
  REQUIRE(sixteen.size() == 1);
  CHECK(t.shape_of(sixteen[0]).hosts == 2);
  CHECK(t.tp_groups(1).size() == 16);
}

TEST_CASE("tp_groups keep a group on one host even when GPU ids interleave hosts") {
  // Two hosts A and B, GPUs listed a0, b0, a1, b1: ids 0 and 2 are on A, 1 and 3 on B.
  const json config = {
      {"nodes",
       {{{"id", "a0"}, {"kind", "gpu"}}, {{"id", "b0"}, {"kind", "gpu"}}, {{"id", "a1"}, {"kind", "gpu"}},
        {{"id", "b1"}, {"kind", "gpu"}}, {{"id", "swa"}, {"kind", "pcie_switch"}},
        {{"id", "swb"}, {"kind", "pcie_switch"}}, {{"id", "nica"}, {"kind", "nic"}},
        {{"id", "nicb"}, {"kind", "nic"}}}},
      {"links",
       {{{"a", "a0"}, {"b", "swa"}, {"bandwidth_gbps", 64}, {"latency_us", 0.5}},
        {{"a", "a1"}, {"b", "swa"}, {"bandwidth_gbps", 64}, {"latency_us", 0.5}},
        {{"a", "b0"}, {"b", "swb"}, {"bandwidth_gbps", 64}, {"latency_us", 0.5}},
        {{"a", "b1"}, {"b", "swb"}, {"bandwidth_gbps", 64}, {"latency_us", 0.5}},
        {{"a", "nica"}, {"b", "swa"}, {"bandwidth_gbps", 64}, {"latency_us", 0.5}},
        {{"a", "nicb"}, {"b", "swb"}, {"bandwidth_gbps", 64}, {"latency_us", 0.5}},
        {{"a", "nica"}, {"b", "nicb"}, {"bandwidth_gbps", 25}, {"latency_us", 2}}}}};
  const auto t = make_topology(config, "s.json", "/topology");
  REQUIRE(t.host_count() == 2);
  CHECK(t.host_of(0) == t.host_of(2));
  CHECK(t.host_of(1) == t.host_of(3));
  CHECK(t.tp_groups(2) == Groups{{0, 2}, {1, 3}});
  // Direct NIC-NIC cable: the ring across hosts runs at the 25 GB/s cable.
  const std::vector<int> across{0, 1};
  CHECK(t.ring(across).bandwidth_bytes_per_s == Approx(25e9));
}
