// Bad topologies are rejected with one InputError naming the JSON pointer and what was expected.
// Run: ctest --test-dir build -R topology
#include <string>

#include "sim/core/input_error.h"
#include "sim/topology/topology.h"
#include "tests/support/catch.h"

using kvsim::make_topology;
using nlohmann::json;

namespace {

// The message make_topology throws for config, or "" when it throws nothing.
std::string error_of(const json& config) {
  try {
    make_topology(config, "s.json", "/topology");
  } catch (const kvsim::InputError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

json gpu(const std::string& id) { return {{"id", id}, {"kind", "gpu"}}; }
json cable(const std::string& a, const std::string& b, json gbps = 450, json latency_us = 0.3) {
  return {{"a", a}, {"b", b}, {"bandwidth_gbps", gbps}, {"latency_us", latency_us}};
}

// Three GPUs on one NVSwitch; tests break one thing at a time.
json three_gpus() {
  return {{"name", "tri"},
          {"nodes", {gpu("g0"), gpu("g1"), gpu("g2"), {{"id", "sw"}, {"kind", "nvswitch"}}}},
          {"links", {cable("g0", "sw"), cable("g1", "sw"), cable("g2", "sw")}}};
}

}  // namespace

TEST_CASE("the explicit baseline graph is accepted") {
  const auto t = make_topology(three_gpus(), "s.json", "/topology");
  CHECK(t.gpu_count() == 3);
  CHECK(t.name() == "tri");
  CHECK(error_of(three_gpus()).empty());
}

TEST_CASE("a disconnected GPU is rejected at its node") {
  json config = three_gpus();
  config["links"].erase(2);  // g2 loses its only link
  const std::string msg = error_of(config);
  CHECK(contains(msg, "s.json: /topology/nodes/2: expected a GPU with a path to every other GPU"));
  CHECK(contains(msg, "\"g2\""));
}

TEST_CASE("zero and negative bandwidth are rejected at the link's field") {
  json config = three_gpus();
  config["links"][1]["bandwidth_gbps"] = 0;
  CHECK(contains(error_of(config), "/topology/links/1/bandwidth_gbps: expected a number > 0, found 0"));
  config["links"][1]["bandwidth_gbps"] = -5;
  CHECK(contains(error_of(config), "/topology/links/1/bandwidth_gbps: expected a number > 0, found -5"));
  config["links"][1]["bandwidth_gbps"] = "fast";
  CHECK(contains(error_of(config), "/topology/links/1/bandwidth_gbps: expected a number > 0, found \"fast\""));
}

TEST_CASE("negative or missing latency is rejected") {
  json config = three_gpus();
  config["links"][0]["latency_us"] = -1;
  CHECK(contains(error_of(config), "/topology/links/0/latency_us: expected a number >= 0, found -1"));
  config["links"][0].erase("latency_us");
  CHECK(contains(error_of(config), "/topology/links/0/latency_us: expected a value (required)"));
}

TEST_CASE("an unknown node kind is rejected with the list of kinds") {
  json config = three_gpus();
  config["nodes"][1]["kind"] = "tpu";
  const std::string msg = error_of(config);
  CHECK(contains(msg, "/topology/nodes/1/kind: expected a node kind: one of gpu, nvswitch, pcie_switch"));
  CHECK(contains(msg, "found \"tpu\""));
}

TEST_CASE("a TP group larger than the GPUs, or not dividing them, is rejected") {
  const auto t = make_topology("hgx-h200-8", "s.json", "/topology");
  for (int tp : {16, 3, 0}) {
    std::string msg;
    try {
      t.tp_groups(tp, "scenario.json", "/parallelism/tp");
    } catch (const kvsim::InputError& e) {
      msg = e.what();
    }
    CHECK(contains(msg, "scenario.json: /parallelism/tp: expected a TP size that divides the 8 GPUs"));
    CHECK(contains(msg, "found " + std::to_string(tp)));
  }
}

TEST_CASE("duplicate ids, unknown endpoints, self and duplicate links are rejected") {
  json dup = three_gpus();
  dup["nodes"][2]["id"] = "g0";
  CHECK(contains(error_of(dup), "/topology/nodes/2/id: expected an id not used by another node, found \"g0\" "
                                "(also at /topology/nodes/0)"));
  json unknown = three_gpus();
  unknown["links"][2]["b"] = "sw9";
  CHECK(contains(error_of(unknown), "/topology/links/2/b: expected the id of a node in /nodes, found \"sw9\""));
  json self = three_gpus();
  self["links"].push_back(cable("g0", "g0"));
  CHECK(contains(error_of(self), "/topology/links/3/b: expected a node other than \"a\""));
  json twice = three_gpus();
  twice["links"].push_back(cable("sw", "g1"));
  CHECK(contains(error_of(twice), "/topology/links/3: expected at most one link per pair of nodes"));
}

TEST_CASE("unknown keys, presets and overrides are rejected where they are") {
  json extra = three_gpus();
  extra["nodes"][0]["memory_gb"] = 141;
  CHECK(contains(error_of(extra), "/topology/nodes/0/memory_gb: expected one of the keys id, kind"));
  CHECK(contains(error_of("dgx-b200"), "s.json: /topology: expected a topology preset: one of hgx-h200-8"));
  CHECK(contains(error_of(json{{"preset", "hgx-h200-8"}, {"nodes", 2}}),
                 "/topology/nodes: expected one of the keys preset, gpus, nvlink_gbps"));
  CHECK(contains(error_of(json{{"preset", "hgx-h200-8"}, {"nvlink_gbps", 0}}),
                 "/topology/nvlink_gbps: expected a number > 0, found 0"));
  CHECK(contains(error_of(json{{"preset", "multi-node"}, {"node", "tpu-pod"}}),
                 "/topology/node: expected a server preset: one of hgx-h200-8, nvlink-2, pcie-2socket-8"));
  CHECK(contains(error_of(json{{"preset", "multi-node"}, {"node", {{"preset", "hgx-h200-8"}, {"pcie_gbps", -1}}}}),
                 "/topology/node/pcie_gbps: expected a number > 0, found -1"));
  CHECK(contains(error_of(json{{"preset", "multi-node"}, {"nic", "ib-hdr-200"}}),
                 "/topology/nic: expected one of ib-ndr-400, roce-400, found \"ib-hdr-200\""));
  CHECK(contains(error_of(json{{"preset", "multi-node"}, {"nodes", 0}}),
                 "/topology/nodes: expected an integer from 1 to 4096, found 0"));
  CHECK(contains(error_of(json{{"preset", "multi-node"}, {"oversubscription", 0.5}}),
                 "/topology/oversubscription: expected a number >= 1, found 0.5"));
  CHECK(contains(error_of(42), "/topology: expected a topology preset name or an object, found 42"));
}

TEST_CASE("a graph without GPUs is rejected") {
  const json config = {{"nodes", {{{"id", "sw"}, {"kind", "nvswitch"}}}}, {"links", json::array()}};
  CHECK(contains(error_of(config), "/topology/nodes: expected at least one node of kind \"gpu\", found none"));
}

TEST_CASE("collective_issue: one of two modes, on the scenario's topology only") {
  json config = three_gpus();
  config["collective_issue"] = "one_thread";
  CHECK(make_topology(config, "s.json", "/topology").issue_mode() == kvsim::IssueMode::one_thread);
  CHECK(make_topology(three_gpus(), "s.json", "/topology").issue_mode() == kvsim::IssueMode::thread_per_gpu);
  config["collective_issue"] = "one_process";
  CHECK(contains(error_of(config),
                 "s.json: /topology/collective_issue: expected one of thread_per_gpu, one_thread, found \"one_process\""));
  CHECK(contains(error_of({{"preset", "hgx-h200-8"}, {"collective_issue", 1}}), "/topology/collective_issue: expected one of"));
  CHECK(make_topology(json{{"preset", "multi-node"}, {"collective_issue", "one_thread"}}, "s.json", "/topology")
            .issue_mode() == kvsim::IssueMode::one_thread);
  // Inside a cluster's "node" it would say nothing about the scenario: rejected as an unknown key.
  CHECK(contains(error_of({{"preset", "multi-node"}, {"node", {{"preset", "hgx-h200-8"}, {"collective_issue", "one_thread"}}}}),
                 "/topology/node/collective_issue: expected one of the keys"));
  // The explicit form round-trips it.
  config["collective_issue"] = "one_thread";
  const auto t = make_topology(config, "s.json", "/topology");
  CHECK(make_topology(t.to_json(), "s.json", "/topology").issue_mode() == kvsim::IssueMode::one_thread);
}
