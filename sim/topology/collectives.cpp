// Collective costs from the topology graph: ring and tree all-reduce, ring all-gather, and the
// measured-data override. Formulas follow NCCL's own cost model (src/graph/tuning.cc) and the
// nccl-tests bus-bandwidth convention (doc/PERFORMANCE.md: allreduce busbw = algbw * 2(n-1)/n,
// allgather busbw = algbw * (n-1)/n).
//
// Ring. The group's order is the ring: hop i sends g[i] -> g[i+1 mod n]. In a ring collective every
// hop carries the same bytes at the same time, so the ring runs at the rate of the most loaded link:
//   busbw = min over directed links of bandwidth / load,  load = hops whose route uses the link.
// NVSwitch is non-blocking by construction: each GPU has its own link to it, used once per
// direction. Shared PCIe switch uplinks, CPU links and NICs are where loads above 1 appear.
//   A hop that leaves a host is spread by NCCL over several channels, one per NIC: each channel's
// ring is reordered inside the host so that it leaves from the GPU next to its NIC. So a crossing
// hop is charged as k routes of weight 1/k, route r = (GPU of NIC r) -> NIC r -> network -> peer
// NIC r -> (its GPU), where the k NICs are those NCCL gave to the group's GPUs on each side
// (rail r pairs the r-th such NIC of both hosts). A TP group of one GPU per host gets one NIC; a
// full HGX node gets all eight.
//   Latency: with pipelining a chunk crosses every hop in turn, so ring all-reduce pays
// 2(n-1)/n times the summed hop latencies = 2(n-1) steps of the mean hop latency (NCCL's
// "nsteps * intraLat + nInterSteps * interLat" with per-hop figures from the graph).
//
// Tree. NCCL uses its double binary tree only across nodes: a chain inside each host and a binary
// tree over hosts; latency 2 * ((GPUs per host - 1) * intra hop + ceil(log2 hosts) * inter hop)
// (tuning.cc), and each GPU moves about 2 * bytes per direction, charged at the ring's busbw. It
// therefore wins only for small messages on several hosts, which is when NCCL picks it.
#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/topology/topology.h"

namespace kvsim {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// GPUs of the maximal cyclic run of positions on host `host` that contains position `pos`.
std::vector<int> host_segment(std::span<const int> group, std::size_t pos, const std::vector<int>& host_of) {
  const std::size_t n = group.size();
  const int host = host_of[group[pos]];
  std::size_t first = pos;
  for (std::size_t steps = 0; steps + 1 < n && host_of[group[(first + n - 1) % n]] == host; ++steps)
    first = (first + n - 1) % n;
  std::vector<int> out;
  for (std::size_t i = first; out.size() < n && host_of[group[i % n]] == host; ++i) out.push_back(group[i % n]);
  return out;
}

}  // namespace

std::vector<Route> Topology::hop_routes(std::span<const int> group, std::size_t i) const {
  const int a = group[i];
  const int b = group[(i + 1) % group.size()];
  const Route& direct = route_from_gpu(a, gpu_vertex_[b]);
  if (host_of_gpu_[a] == host_of_gpu_[b]) return {direct};

  // The NICs NCCL gave the group's GPUs on each side, in graph order (= rail order in presets).
  auto side_nics = [&](const std::vector<int>& segment) {
    std::vector<int> nics;
    for (int g : segment)
      if (gpu_nic_[g] >= 0) nics.push_back(gpu_nic_[g]);
    std::sort(nics.begin(), nics.end());
    nics.erase(std::unique(nics.begin(), nics.end()), nics.end());
    return nics;
  };
  const std::vector<int> from_segment = host_segment(group, i, host_of_gpu_);
  const std::vector<int> to_segment = host_segment(group, (i + 1) % group.size(), host_of_gpu_);
  const std::vector<int> from_nics = side_nics(from_segment);
  const std::vector<int> to_nics = side_nics(to_segment);
  auto owner = [&](const std::vector<int>& segment, int nic) {
    return *std::find_if(segment.begin(), segment.end(), [&](int g) { return gpu_nic_[g] == nic; });
  };

  std::vector<Route> routes;
  const std::size_t rails = std::min(from_nics.size(), to_nics.size());
  for (std::size_t r = 0; r < rails; ++r) {
    auto net = nic_routes_.find({static_cast<Vertex>(from_nics[r]), static_cast<Vertex>(to_nics[r])});
    if (net == nic_routes_.end()) return {direct};  // rails not joined by the network: plain path
    const int x = owner(from_segment, from_nics[r]);
    const int y = owner(to_segment, to_nics[r]);
    routes.push_back(concatenated(concatenated(route_from_gpu(x, from_nics[r]), net->second),
                                  reversed(route_from_gpu(y, to_nics[r]))));
  }
  if (routes.empty()) return {direct};
  return routes;
}

GroupCost Topology::model_cost(std::span<const int> group) const {
  GroupCost cost;
  cost.shape = shape_of(group);
  const std::size_t n = group.size();
  if (n == 1) {
    cost.ring = {.bandwidth_bytes_per_s = kInf, .latency_s = 0};
    return cost;
  }
  std::vector<double> load(2 * link_bandwidth_.size(), 0.0);
  double latency_sum = 0, max_intra = 0, max_inter = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::vector<Route> routes = hop_routes(group, i);
    const double weight = 1.0 / static_cast<double>(routes.size());
    double hop_latency = 0;
    for (const Route& route : routes) {
      for (int link : route.links) load[link] += weight;
      hop_latency = std::max(hop_latency, route.spec.latency_s);
    }
    latency_sum += hop_latency;
    const bool crossing = host_of_gpu_[group[i]] != host_of_gpu_[group[(i + 1) % n]];
    (crossing ? max_inter : max_intra) = std::max(crossing ? max_inter : max_intra, hop_latency);
  }
  double busbw = kInf;
  for (std::size_t link = 0; link < load.size(); ++link)
    if (load[link] > 0) busbw = std::min(busbw, link_bandwidth_[link / 2] / load[link]);
  cost.ring = {.bandwidth_bytes_per_s = busbw, .latency_s = latency_sum / static_cast<double>(n)};

  if (cost.shape.hosts > 1) {
    std::map<int, int> per_host;
    for (int g : group) ++per_host[host_of_gpu_[g]];
    int chain = 0;
    for (const auto& [host, count] : per_host) chain = std::max(chain, count);
    const double depth = std::ceil(std::log2(static_cast<double>(cost.shape.hosts)));
    cost.has_tree = true;
    cost.tree_latency_s = 2.0 * ((chain - 1) * max_intra + depth * max_inter);
  }
  return cost;
}

GroupCost Topology::group_cost(std::span<const int> group) const {
  GroupCost cost = model_cost(group);
  auto found = measured_.find(cost.shape);
  if (found == measured_.end()) found = measured_.find(GroupShape{.gpus = cost.shape.gpus, .hosts = 0});
  if (found != measured_.end()) cost.measured = found->second;
  return cost;
}

LinkSpec Topology::ring(std::span<const int> group) const { return model_cost(group).ring; }

double Topology::allreduce_s(std::int64_t bytes, std::span<const int> group) const {
  return group_cost(group).allreduce_s(bytes);
}

double Topology::allgather_s(std::int64_t bytes_total, std::span<const int> group) const {
  return group_cost(group).allgather_s(bytes_total);
}

double GroupCost::ring_allreduce_s(std::int64_t bytes) const {
  const double n = shape.gpus;
  if (shape.gpus <= 1 || bytes <= 0) return 0;
  return 2 * (n - 1) * ring.latency_s + 2 * (n - 1) / n * static_cast<double>(bytes) / ring.bandwidth_bytes_per_s;
}

double GroupCost::tree_allreduce_s(std::int64_t bytes) const {
  if (!has_tree) return kInf;
  if (bytes <= 0) return 0;
  return tree_latency_s + 2 * static_cast<double>(bytes) / ring.bandwidth_bytes_per_s;
}

double GroupCost::allreduce_s(std::int64_t bytes) const {
  if (shape.gpus <= 1 || bytes <= 0) return 0;
  if (!measured.empty()) return interpolate_measured(measured, bytes);
  return std::min(ring_allreduce_s(bytes), tree_allreduce_s(bytes));
}

double GroupCost::allgather_s(std::int64_t bytes_total) const {
  const double n = shape.gpus;
  if (shape.gpus <= 1 || bytes_total <= 0) return 0;
  return (n - 1) * ring.latency_s + (n - 1) / n * static_cast<double>(bytes_total) / ring.bandwidth_bytes_per_s;
}

double interpolate_measured(const MeasuredCurve& curve, std::int64_t bytes) {
  if (curve.empty() || bytes <= 0) return 0;
  const double b = static_cast<double>(bytes);
  if (bytes <= curve.front().first) return curve.front().second;
  if (bytes >= curve.back().first) {
    const auto& [b1, t1] = curve.back();
    if (curve.size() == 1) return t1 * b / static_cast<double>(b1);
    const auto& [b0, t0] = curve[curve.size() - 2];
    const double slope = std::max(0.0, (t1 - t0) / static_cast<double>(b1 - b0));
    return t1 + slope * (b - static_cast<double>(b1));
  }
  auto hi = std::upper_bound(curve.begin(), curve.end(), bytes,
                             [](std::int64_t x, const auto& point) { return x < point.first; });
  auto lo = hi - 1;
  if (lo->first == bytes) return lo->second;
  const double f = std::log(b / static_cast<double>(lo->first)) /
                   std::log(static_cast<double>(hi->first) / static_cast<double>(lo->first));
  return std::exp(std::log(lo->second) + f * (std::log(hi->second) - std::log(lo->second)));
}

}  // namespace kvsim
