// Graph building and the widest-path search (see graph.h).
//
// Widest path with a latency tie-break is done in two Dijkstra passes, because a single pass over
// the lexicographic (bandwidth, latency) label is not isotone and can miss the best tie-break:
//   1. boost::dijkstra_shortest_paths with combine = min and compare = greater gives every vertex's
//      best bottleneck bandwidth W (the classic widest-path variant of Dijkstra).
//   2. For each distinct W, Dijkstra on latency over the filtered_graph of links with bandwidth >= W:
//      any path there has bottleneck >= W, hence exactly W for targets whose best is W, and the
//      shortest of them is the wanted route.
#include "sim/topology/graph.h"

#include <algorithm>
#include <array>
#include <utility>
#include <functional>
#include <limits>
#include <set>
#include <stdexcept>

#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/property_map/function_property_map.hpp>

namespace kvsim {

namespace {

constexpr std::array<std::pair<NodeKind, std::string_view>, 6> kKindNames{{
    {NodeKind::gpu, "gpu"},
    {NodeKind::nvswitch, "nvswitch"},
    {NodeKind::pcie_switch, "pcie_switch"},
    {NodeKind::cpu, "cpu"},
    {NodeKind::nic, "nic"},
    {NodeKind::network_switch, "network_switch"},
}};

using Edge = TopologyGraph::edge_descriptor;

// filtered_graph predicates must be default constructible.
struct KeepVertex {
  const TopologyGraph* graph = nullptr;
  bool network_only = false;
  bool operator()(Vertex v) const {
    if (!network_only) return true;
    NodeKind k = (*graph)[v].kind;
    return k == NodeKind::nic || k == NodeKind::network_switch;
  }
};

struct KeepLink {
  const TopologyGraph* graph = nullptr;
  double min_bandwidth = 0;
  bool operator()(Edge e) const { return (*graph)[e].spec.bandwidth_bytes_per_s >= min_bandwidth; }
};

using View = boost::filtered_graph<TopologyGraph, KeepLink, KeepVertex>;

}  // namespace

std::string_view node_kind_name(NodeKind kind) {
  for (const auto& [k, name] : kKindNames)
    if (k == kind) return name;
  return "?";
}

std::optional<NodeKind> node_kind_from_name(std::string_view name) {
  for (const auto& [k, n] : kKindNames)
    if (n == name) return k;
  return std::nullopt;
}

std::string node_kind_names() {
  std::string out;
  for (const auto& [k, name] : kKindNames) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

Route reversed(const Route& route) {
  Route out{.spec = route.spec, .links = {}};
  out.links.reserve(route.links.size());
  for (auto it = route.links.rbegin(); it != route.links.rend(); ++it) out.links.push_back(*it ^ 1);
  return out;
}

Route concatenated(const Route& a, const Route& b) {
  Route out{.spec = {.bandwidth_bytes_per_s = std::min(a.spec.bandwidth_bytes_per_s, b.spec.bandwidth_bytes_per_s),
                     .latency_s = a.spec.latency_s + b.spec.latency_s},
            .links = a.links};
  out.links.insert(out.links.end(), b.links.begin(), b.links.end());
  return out;
}

std::vector<Route> widest_routes(const TopologyGraph& graph, Vertex src, bool network_only) {
  const std::size_t n = boost::num_vertices(graph);
  const KeepVertex keep_vertex{.graph = &graph, .network_only = network_only};
  auto index = boost::get(boost::vertex_index, graph);
  std::vector<Vertex> pred(n);

  // Pass 1: best bottleneck bandwidth to every vertex (0 = unreachable).
  std::vector<double> width(n, 0.0);
  {
    View view(graph, KeepLink{.graph = &graph, .min_bandwidth = 0}, keep_vertex);
    auto bandwidth = boost::make_function_property_map<Edge>(
        [&graph](Edge e) { return graph[e].spec.bandwidth_bytes_per_s; });
    boost::dijkstra_shortest_paths(
        view, src,
        boost::predecessor_map(boost::make_iterator_property_map(pred.begin(), index))
            .distance_map(boost::make_iterator_property_map(width.begin(), index))
            .weight_map(bandwidth)
            .vertex_index_map(index)
            .distance_compare(std::greater<double>())
            .distance_combine([](double a, double b) { return std::min(a, b); })
            .distance_inf(0.0)
            .distance_zero(std::numeric_limits<double>::infinity()));
  }

  std::vector<Route> routes(n);
  routes[src].spec = {.bandwidth_bytes_per_s = std::numeric_limits<double>::infinity(), .latency_s = 0};

  // Pass 2: for each distinct width, the lowest-latency path among links at least that wide.
  std::set<double> widths;
  for (std::size_t v = 0; v < n; ++v)
    if (v != src && width[v] > 0) widths.insert(width[v]);
  for (double w : widths) {
    View view(graph, KeepLink{.graph = &graph, .min_bandwidth = w}, keep_vertex);
    std::vector<double> latency(n, std::numeric_limits<double>::infinity());
    auto link_latency =
        boost::make_function_property_map<Edge>([&graph](Edge e) { return graph[e].spec.latency_s; });
    for (std::size_t v = 0; v < n; ++v) pred[v] = v;
    boost::dijkstra_shortest_paths(
        view, src,
        boost::predecessor_map(boost::make_iterator_property_map(pred.begin(), index))
            .distance_map(boost::make_iterator_property_map(latency.begin(), index))
            .weight_map(link_latency)
            .vertex_index_map(index));
    for (std::size_t t = 0; t < n; ++t) {
      if (t == src || width[t] != w) continue;
      Route& route = routes[t];
      route.spec = {.bandwidth_bytes_per_s = w, .latency_s = latency[t]};
      for (Vertex v = t; v != src; v = pred[v]) {
        const auto [e, found] = boost::edge(pred[v], v, graph);
        if (!found) throw std::logic_error("widest_routes: broken predecessor chain");
        route.links.push_back(directed_link(graph[e], pred[v]));
      }
      std::reverse(route.links.begin(), route.links.end());
    }
  }
  return routes;
}

Vertex GraphBuilder::add_node(const std::string& name, NodeKind kind, const std::string& pointer) {
  if (has_node(name)) throw std::logic_error("GraphBuilder: duplicate node " + name);
  Vertex v = boost::add_vertex(NodeProps{.name = name, .kind = kind, .pointer = pointer}, graph_);
  by_name_.emplace(name, v);
  return v;
}

bool GraphBuilder::has_link(Vertex a, Vertex b) const { return boost::edge(a, b, graph_).second; }

void GraphBuilder::add_link(Vertex a, Vertex b, LinkSpec spec, const std::string& pointer) {
  if (a == b || has_link(a, b) || !(spec.bandwidth_bytes_per_s > 0) || !(spec.latency_s >= 0))
    throw std::logic_error("GraphBuilder: bad link " + graph_[a].name + " - " + graph_[b].name);
  boost::add_edge(a, b, LinkProps{.spec = spec, .id = next_link_id_++, .a = a, .b = b, .pointer = pointer},
                  graph_);
}

Vertex GraphBuilder::vertex(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) throw std::logic_error("GraphBuilder: no node " + name);
  return it->second;
}

}  // namespace kvsim
