// The topology graph: a boost::adjacency_list whose vertices are GPUs, switches, CPUs and NICs and
// whose edges are full-duplex links, plus the widest-path search every cost in sim/topology uses.
// Presets (presets.cpp) and the JSON reader (topology_json.cpp) fill a GraphBuilder; Topology
// (topology.cpp) takes the finished graph.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

namespace kvsim {

enum class NodeKind { gpu, nvswitch, pcie_switch, cpu, nic, network_switch };

// Names as written in JSON ("gpu", "nvswitch", "pcie_switch", "cpu", "nic", "network_switch").
std::string_view node_kind_name(NodeKind kind);
std::optional<NodeKind> node_kind_from_name(std::string_view name);
std::string node_kind_names();  // "gpu, nvswitch, ..." for error messages

// One direction of a link (links are full duplex), or the bottleneck and summed latency of a path.
struct LinkSpec {
  double bandwidth_bytes_per_s = 0;
  double latency_s = 0;
};

struct NodeProps {
  std::string name;
  NodeKind kind = NodeKind::gpu;
  std::string pointer;  // JSON pointer the node came from, for error messages
};

struct LinkProps {
  LinkSpec spec;
  int id = 0;           // 0..num_edges-1, in insertion order
  std::size_t a = 0;    // endpoints as given: traversing a -> b is direction 0, b -> a direction 1
  std::size_t b = 0;
  std::string pointer;
};

using TopologyGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, NodeProps, LinkProps>;
using Vertex = TopologyGraph::vertex_descriptor;

// A directed use of a link: 2 * link id + direction. Loads in ring() are counted per directed link,
// since traffic a -> b and b -> a do not share bandwidth.
inline int directed_link(const LinkProps& link, Vertex from) {
  return 2 * link.id + (from == link.a ? 0 : 1);
}

// A path through the graph: its bottleneck bandwidth, summed latency and the directed links it uses.
struct Route {
  LinkSpec spec;
  std::vector<int> links;
  bool reachable() const { return spec.bandwidth_bytes_per_s > 0; }
};

// The same route walked backwards (direction bits flipped, order reversed).
Route reversed(const Route& route);
// a then b (a's end must be b's start): bottleneck of both, latencies added.
Route concatenated(const Route& a, const Route& b);

// Routes from src to every vertex: the widest path (largest bottleneck bandwidth), ties broken by
// the smallest summed latency. When network_only is set, only NIC and network-switch vertices are
// used (src must be one of them). Unreachable vertices get a Route with bandwidth 0.
std::vector<Route> widest_routes(const TopologyGraph& graph, Vertex src, bool network_only = false);

// Fills a graph while checking names; presets and the JSON reader use it. Errors it cannot name a
// JSON place for are programming errors (std::logic_error); the JSON reader checks first.
class GraphBuilder {
 public:
  Vertex add_node(const std::string& name, NodeKind kind, const std::string& pointer = "");
  void add_link(Vertex a, Vertex b, LinkSpec spec, const std::string& pointer = "");
  void add_link(const std::string& a, const std::string& b, LinkSpec spec, const std::string& pointer = "") {
    add_link(vertex(a), vertex(b), spec, pointer);
  }
  bool has_node(const std::string& name) const { return by_name_.count(name) != 0; }
  bool has_link(Vertex a, Vertex b) const;
  Vertex vertex(const std::string& name) const;
  TopologyGraph take() { return std::move(graph_); }

 private:
  TopologyGraph graph_;
  std::map<std::string, Vertex, std::less<>> by_name_;
  int next_link_id_ = 0;
};

// JSON and internal units: GB/s = 1e9 bytes/s, microseconds.
inline LinkSpec link_gbps_us(double bandwidth_gbps, double latency_us) {
  return LinkSpec{.bandwidth_bytes_per_s = bandwidth_gbps * 1e9, .latency_s = latency_us * 1e-6};
}

}  // namespace kvsim
