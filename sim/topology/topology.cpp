// Topology construction (whole-graph checks, hosts, routes, NIC per GPU), TP groups, measured data
// and the explicit JSON form. The collective costs themselves are in collectives.cpp.
#include "sim/topology/topology.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <boost/graph/connected_components.hpp>
#include <boost/graph/filtered_graph.hpp>

#include "sim/core/input_error.h"

namespace kvsim {

namespace {

bool is_network(NodeKind kind) { return kind == NodeKind::nic || kind == NodeKind::network_switch; }

// Host-internal view: everything but NICs and network switches.
struct NotNetwork {
  const TopologyGraph* graph = nullptr;
  bool operator()(Vertex v) const { return !is_network((*graph)[v].kind); }
};

bool nearly_equal(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b)); }

// Route a is better than b: wider, or as wide and faster.
bool better(const LinkSpec& a, const LinkSpec& b) {
  if (!nearly_equal(a.bandwidth_bytes_per_s, b.bandwidth_bytes_per_s))
    return a.bandwidth_bytes_per_s > b.bandwidth_bytes_per_s;
  if (!nearly_equal(a.latency_s, b.latency_s)) return a.latency_s < b.latency_s;
  return false;
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

Topology::Topology(std::string name, TopologyGraph graph, const std::string& file, const std::string& pointer)
    : name_(std::move(name)), graph_(std::move(graph)) {
  const std::size_t n = boost::num_vertices(graph_);
  for (Vertex v = 0; v < n; ++v)
    if (graph_[v].kind == NodeKind::gpu) gpu_vertex_.push_back(v);
  if (gpu_vertex_.empty())
    throw InputError(file, pointer + "/nodes", "at least one node of kind \"gpu\"", "none");

  // Every GPU must reach every other: one connected component holds them all.
  std::vector<int> component(n);
  boost::connected_components(graph_, component.data());
  for (Vertex v : gpu_vertex_) {
    if (component[v] != component[gpu_vertex_[0]]) {
      const std::string& where = graph_[v].pointer.empty() ? pointer : graph_[v].pointer;
      throw InputError(file, where, "a GPU with a path to every other GPU",
                       in_quotes(graph_[v].name) + " with no path to " + in_quotes(graph_[gpu_vertex_[0]].name));
    }
  }

  // Hosts: components of the graph without NICs and network switches, numbered by lowest GPU id.
  std::vector<int> host_component(n, -1);
  boost::filtered_graph<TopologyGraph, boost::keep_all, NotNetwork> inside(graph_, boost::keep_all{},
                                                                          NotNetwork{&graph_});
  boost::connected_components(
      inside, boost::make_iterator_property_map(host_component.begin(), boost::get(boost::vertex_index, graph_)));
  std::map<int, int> host_of_component;
  for (Vertex v : gpu_vertex_) {
    auto [it, added] = host_of_component.emplace(host_component[v], static_cast<int>(host_of_component.size()));
    host_of_gpu_.push_back(it->second);
  }
  host_count_ = static_cast<int>(host_of_component.size());

  link_bandwidth_.resize(boost::num_edges(graph_));
  link_rated_bandwidth_.resize(boost::num_edges(graph_));
  link_nvlink_.resize(boost::num_edges(graph_));
  for (auto [it, end] = boost::edges(graph_); it != end; ++it) {
    const LinkProps& link = graph_[*it];
    const NodeKind ka = graph_[link.a].kind, kb = graph_[link.b].kind;
    const bool nvlink = ka == NodeKind::nvswitch || kb == NodeKind::nvswitch ||
                        (ka == NodeKind::gpu && kb == NodeKind::gpu);
    link_bandwidth_.at(link.id) = link.spec.bandwidth_bytes_per_s;
    link_nvlink_.at(link.id) = nvlink;
    link_rated_bandwidth_.at(link.id) = link.spec.bandwidth_bytes_per_s * (nvlink ? kNcclNvlinkRating : 1.0);
  }
  for (Vertex v : gpu_vertex_) gpu_routes_.push_back(widest_routes(graph_, v));

  // A NIC belongs to the host of the (non-network) node it is plugged into.
  std::vector<int> nic_host(n, -1);
  std::vector<Vertex> nics;
  for (Vertex v = 0; v < n; ++v) {
    if (graph_[v].kind != NodeKind::nic) continue;
    for (auto [it, end] = boost::adjacent_vertices(v, graph_); it != end; ++it) {
      if (is_network(graph_[*it].kind)) continue;
      auto found = host_of_component.find(host_component[*it]);
      if (found != host_of_component.end()) nic_host[v] = found->second;
      break;
    }
    if (nic_host[v] >= 0) nics.push_back(v);
  }

  // NIC per GPU, as NCCL assigns them: the best-connected NIC of its host, spreading GPUs over
  // equally good NICs (HGX: GPU 2k and 2k+1 share a PCIe switch with NICs 2k and 2k+1, one each).
  std::map<Vertex, int> assigned;
  for (int g = 0; g < gpu_count(); ++g) {
    const LinkSpec* best_spec = nullptr;
    for (Vertex nic : nics)
      if (nic_host[nic] == host_of_gpu_[g] && (!best_spec || better(gpu_routes_[g][nic].spec, *best_spec)))
        best_spec = &gpu_routes_[g][nic].spec;
    int best = -1;
    for (Vertex nic : nics) {
      if (nic_host[nic] != host_of_gpu_[g] || better(*best_spec, gpu_routes_[g][nic].spec)) continue;
      if (best < 0 || assigned[nic] < assigned[best]) best = static_cast<int>(nic);
    }
    gpu_nic_.push_back(best);
    if (best >= 0) ++assigned[best];
  }

  // Only routes to GPUs and NICs are looked up later; drop the others' link lists (large clusters).
  for (std::vector<Route>& routes : gpu_routes_)
    for (Vertex v = 0; v < n; ++v)
      if (graph_[v].kind != NodeKind::gpu && graph_[v].kind != NodeKind::nic) std::vector<int>().swap(routes[v].links);

  if (host_count_ > 1) {
    for (Vertex from : nics) {
      std::vector<Route> routes = widest_routes(graph_, from, /*network_only=*/true);
      for (Vertex to : nics)
        if (nic_host[to] != nic_host[from] && routes[to].reachable()) nic_routes_[{from, to}] = routes[to];
    }
  }
}

GroupShape Topology::shape_of(std::span<const int> group) const {
  check_group(group);
  std::vector<int> hosts;
  for (int g : group) hosts.push_back(host_of_gpu_[g]);
  std::sort(hosts.begin(), hosts.end());
  return GroupShape{.gpus = static_cast<int>(group.size()),
                    .hosts = static_cast<int>(std::unique(hosts.begin(), hosts.end()) - hosts.begin())};
}

void Topology::check_group(std::span<const int> group) const {
  if (group.empty()) throw std::invalid_argument("topology: empty GPU group");
  std::vector<bool> seen(gpu_vertex_.size(), false);
  for (int g : group) {
    if (g < 0 || g >= gpu_count())
      throw std::out_of_range("topology: GPU id " + std::to_string(g) + " not in 0.." +
                              std::to_string(gpu_count() - 1));
    if (seen[g]) throw std::invalid_argument("topology: GPU " + std::to_string(g) + " twice in one group");
    seen[g] = true;
  }
}

const Route& Topology::route_from_gpu(int gpu, Vertex to) const { return gpu_routes_.at(gpu).at(to); }

LinkSpec Topology::gpu_path(int a, int b) const {
  for (int g : {a, b})
    if (g < 0 || g >= gpu_count())
      throw std::out_of_range("topology: GPU id " + std::to_string(g) + " not in 0.." +
                              std::to_string(gpu_count() - 1));
  return route_from_gpu(a, gpu_vertex_[b]).spec;
}

double Topology::sendrecv_s(std::int64_t bytes, int src, int dst) const {
  const LinkSpec path = gpu_path(src, dst);
  if (src == dst || bytes <= 0) return 0;
  return path.latency_s + static_cast<double>(bytes) / path.bandwidth_bytes_per_s;
}

std::vector<std::vector<int>> Topology::tp_groups(int tp_size, const std::string& file,
                                                  const std::string& pointer) const {
  const int n = gpu_count();
  if (tp_size < 1 || tp_size > n || n % tp_size != 0)
    throw InputError(file, pointer,
                     "a TP size that divides the " + std::to_string(n) + " GPUs of topology \"" + name_ + "\"",
                     std::to_string(tp_size));
  std::vector<int> order(n);
  for (int g = 0; g < n; ++g) order[g] = g;
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return host_of_gpu_[x] < host_of_gpu_[y]; });
  std::vector<std::vector<int>> groups;
  for (int start = 0; start < n; start += tp_size)
    groups.emplace_back(order.begin() + start, order.begin() + start + tp_size);
  return groups;
}

void Topology::set_measured_allreduce(GroupShape shape, MeasuredCurve points, const std::string& file,
                                      const std::string& pointer) {
  if (shape.gpus < 1 || shape.gpus > gpu_count())
    throw InputError(file, pointer, "a group size from 1 to " + std::to_string(gpu_count()),
                     std::to_string(shape.gpus));
  if (points.empty()) throw InputError(file, pointer, "at least one (bytes, seconds) point", "none");
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::string at = pointer + "/" + std::to_string(i);
    if (points[i].first <= 0 || (i > 0 && points[i].first <= points[i - 1].first))
      throw InputError(file, at, "bytes > 0 and larger than the previous point's",
                       std::to_string(points[i].first));
    if (!(points[i].second > 0) || !std::isfinite(points[i].second))
      throw InputError(file, at, "seconds > 0", nlohmann::json(points[i].second).dump());
  }
  measured_[shape] = std::move(points);
}

nlohmann::json Topology::to_json() const {
  nlohmann::json nodes = nlohmann::json::array();
  for (Vertex v = 0; v < boost::num_vertices(graph_); ++v)
    nodes.push_back({{"id", graph_[v].name}, {"kind", node_kind_name(graph_[v].kind)}});
  std::vector<const LinkProps*> links;
  for (auto [it, end] = boost::edges(graph_); it != end; ++it) links.push_back(&graph_[*it]);
  std::sort(links.begin(), links.end(), [](const LinkProps* x, const LinkProps* y) { return x->id < y->id; });
  nlohmann::json out_links = nlohmann::json::array();
  for (const LinkProps* l : links)
    out_links.push_back({{"a", graph_[l->a].name},
                         {"b", graph_[l->b].name},
                         {"bandwidth_gbps", l->spec.bandwidth_bytes_per_s / 1e9},
                         {"latency_us", l->spec.latency_s * 1e6}});
  nlohmann::json out = {{"name", name_}, {"nodes", nodes}, {"links", out_links}};
  if (issue_mode_ != IssueMode::thread_per_gpu) out["collective_issue"] = issue_mode_name(issue_mode_);
  return out;
}

}  // namespace kvsim
