// Topology: the GPUs of a scenario and what joins them (NVLink/NVSwitch, PCIe switches, CPU sockets,
// NICs, network switches), held as a Boost.Graph graph, and the cost of NCCL-style collectives over
// any ordered group of GPUs derived from that graph.
//
// Units: bytes per second and seconds inside; JSON says GB/s (1e9 bytes/s) and microseconds. Every
// link is full duplex and its bandwidth is per direction. Bandwidths follow the nccl-tests
// convention: ring() returns the bus bandwidth ("busbw"), the rate every ring link must sustain, so
// all-reduce algbw = busbw * n / (2(n-1)) and all-gather algbw = busbw * n / (n-1).
//
// How a cost is derived (collectives.cpp says why in detail):
//   * gpu_path: widest path (largest bottleneck bandwidth), ties broken by smallest summed latency.
//   * ring(group): each consecutive pair (g[i] -> g[i+1], cyclic) is routed along its path; a hop
//     that leaves a host is spread over one NCCL channel per rail NIC. A directed link carrying the
//     traffic of k hops gives each bandwidth/k; the ring's bandwidth is the smallest such share.
//     Its latency is the mean hop latency, so 2(n-1) steps of it are the all-reduce latency.
//   * allreduce_s: NCCL's own cost model (src/graph/tuning.cc) on the graph's numbers: per
//     algorithm (ring; tree for groups that span hosts) and protocol (LL, LL128, Simple) a base
//     latency, a per-hop latency by link type and a bandwidth fraction; the fastest combination, as
//     NCCL's tuner picks it. That is the GPUs' time; a call also needs a host thread to issue it on
//     every GPU it drives, and calls issued back to back take the longer of the two (CollectiveIssue).
//     Measured NCCL data, when attached, overrides.
//
// Build a Topology with make_topology() (topology_json.cpp) from a scenario's "topology" value; see
// sim/topology/README.md for the JSON schema and presets.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/topology/collective_issue.h"
#include "sim/topology/graph.h"

namespace kvsim {

// Which GPUs a group has and how many hosts it spans (hosts = 0 in a key: any number of hosts).
struct GroupShape {
  int gpus = 0;
  int hosts = 0;
  auto operator<=>(const GroupShape&) const = default;
};

// Measured all-reduce: (message bytes, seconds), bytes strictly increasing.
using MeasuredCurve = std::vector<std::pair<std::int64_t, double>>;

// NCCL's algorithms and protocols (src/graph/tuning.cc), in NCCL's index order.
enum class NcclAlgorithm { tree = 0, ring = 1 };
enum class NcclProtocol { ll = 0, ll128 = 1, simple = 2 };
std::string_view nccl_algorithm_name(NcclAlgorithm a);  // "tree", "ring"
std::string_view nccl_protocol_name(NcclProtocol p);    // "LL", "LL128", "Simple"

// Who issues a TP group's collectives: a host thread (process) per GPU, as serving systems and
// `mpirun` runs do, or one thread for every GPU of the group, as kvsim's runtime without mpirun and
// the calibration benchmark do. Topology JSON key "collective_issue".
enum class IssueMode { thread_per_gpu, one_thread };
std::string_view issue_mode_name(IssueMode m);  // "thread_per_gpu", "one_thread"

// What NCCL's tuner would pick for one collective, and what it takes. `seconds` is the time per call
// when calls follow each other: the longer of the GPUs' time and the host's issue time.
struct NcclChoice {
  NcclAlgorithm algorithm = NcclAlgorithm::ring;
  NcclProtocol protocol = NcclProtocol::simple;
  int channels = 0;          // channels the call runs on (NCCL's per-size rule)
  double gpu_seconds = 0;    // NCCL's model of the collective on the GPUs
  double issue_seconds = 0;  // host time to issue it (GroupCost::issue)
  double seconds = 0;        // max(gpu_seconds, issue_seconds)
};

// The graph-derived inputs of NCCL's cost model for one group (collectives.cpp explains each).
struct NcclTerms {
  double busbw = 0;               // NCCL tuner busBw: its ring search (channels x speed) over the rated links
  int channels = 0;               // NCCL's communicator channels for this ring (ring_pipeline.h)
  bool ll128 = false;             // LL128 enabled: every intra-host hop is NVLink (NCCL: typeIntra <= NVB)
  double ll_max_bw = 0;           // NCCL's LL bandwidth cap (bytes/s) for this node count
  // Mean hop latency per protocol (index NcclProtocol), seconds: the graph's hop latency (NCCL's
  // Ring/LL per-hop figure) scaled by NCCL's hwLat ratio for that hop's link type and protocol.
  double ring_intra_s[3] = {0, 0, 0};
  double ring_inter_s[3] = {0, 0, 0};
  double tree_intra_s[3] = {0, 0, 0};
  double tree_inter_s[3] = {0, 0, 0};
};

// Everything needed to price collectives on one group, computed once from the graph. Cheap to copy
// and to evaluate; the scheduler should keep one per TP group rather than call Topology per step.
struct GroupCost {
  GroupShape shape;
  LinkSpec ring;                    // graph busbw (datasheet bottleneck) and mean hop latency
  bool has_tree = false;            // group spans hosts: NCCL may pick its tree
  double tree_latency_s = 0;        // graph hops of the tree: 2 * (chain * intra hop + depth * inter hop)
  NcclTerms nccl;                   // NCCL cost-model inputs derived from the graph
  MeasuredCurve measured;           // empty: use the model
  CollectiveIssue issue;            // host cost of issuing a call, per GPU driven
  int gpus_per_issuing_thread = 1;  // IssueMode: 1, or the group's GPUs for one_thread

  // Host time to issue one call on `channels` channels from every thread (they run in parallel).
  double issue_s(int channels) const;
  // GPU time of one algorithm and protocol: NCCL's model (its tuner's latency, then the bytes at the
  // protocol's rate; ring/Simple moves them through its slice pipeline, ring_pipeline.h); +inf where
  // NCCL would not run that combination (tree on one host, LL128 over PCIe).
  double nccl_allreduce_s(std::int64_t bytes, NcclAlgorithm a, NcclProtocol p) const;
  // NCCL's tuner estimate (its linear model, src/graph/tuning.cc), which is what picks the protocol.
  double nccl_tuner_allreduce_s(std::int64_t bytes, NcclAlgorithm a, NcclProtocol p) const;
  NcclChoice allreduce_choice(std::int64_t bytes) const;  // NCCL tuner's pick, with its time
  double ring_allreduce_s(std::int64_t bytes) const;  // the tuner's ring protocol, its GPU time
  double tree_allreduce_s(std::int64_t bytes) const;  // fastest tree protocol; +inf without a tree
  // Per call: measured if present, else allreduce_choice(bytes).seconds.
  double allreduce_s(std::int64_t bytes) const;
  double allgather_s(std::int64_t bytes_total) const; // ring, fastest protocol, with its issue time
};
// NCCL rates a Hopper NVLink at 20.6 GB/s per link and direction (src/graph/topo.h, SM90_NVLINK_BW)
// where the datasheet says 25 (NVLink 4: 900 GB/s bidirectional over 18 links); NCCL's model
// multiplies the links it finds by it, so an NVLink in the graph is rated at 20.6 / 25 of its bandwidth.
inline constexpr double kNcclNvlinkRating = 20.6 / 25.0;

// Log-log piecewise linear through the points; below the first point its time (a latency floor);
// beyond the last, linear in bytes along the last segment's slope (bandwidth-bound regime).
double interpolate_measured(const MeasuredCurve& curve, std::int64_t bytes);

class Topology {
 public:
  // graph: built by presets.cpp or topology_json.cpp. Validates what only the whole graph shows
  // (at least one GPU, every GPU reaches every other) and throws InputError naming file/pointer.
  Topology(std::string name, TopologyGraph graph, const std::string& file, const std::string& pointer);

  int gpu_count() const { return static_cast<int>(gpu_vertex_.size()); }
  std::string_view name() const { return name_; }
  const TopologyGraph& graph() const { return graph_; }
  std::string_view gpu_name(int gpu) const { return graph_[gpu_vertex_.at(gpu)].name; }

  // Hosts: GPUs reachable from each other without crossing a NIC or network switch (one server, or
  // one NVLink domain). Numbered by their lowest GPU id.
  int host_count() const { return host_count_; }
  int host_of(int gpu) const { return host_of_gpu_.at(gpu); }
  GroupShape shape_of(std::span<const int> group) const;

  LinkSpec gpu_path(int a, int b) const;
  LinkSpec ring(std::span<const int> group) const;
  GroupCost group_cost(std::span<const int> group) const;
  double allreduce_s(std::int64_t bytes, std::span<const int> group) const;
  double allgather_s(std::int64_t bytes_total, std::span<const int> group) const;
  // Point to point (NCCL send/recv, or a KV head copied between GPUs): path latency + bytes / path
  // bandwidth. Zero for src == dst.
  double sendrecv_s(std::int64_t bytes, int src, int dst) const;

  // Partition all GPUs into groups of tp_size: GPUs sorted by (host, id), cut into consecutive
  // runs, so groups stay inside a host whenever tp_size divides the host's GPUs and otherwise span
  // whole hosts. file/pointer name the scenario value that asked for tp_size in the error.
  std::vector<std::vector<int>> tp_groups(int tp_size, const std::string& file = "scenario",
                                          const std::string& pointer = "/tp") const;

  // Attach measured all-reduce times (from a calibration profile); allreduce_s then interpolates
  // them for groups of that shape. An exact {gpus, hosts} key wins over {gpus, 0} (any hosts).
  // file/pointer locate the curve for the error message if it is malformed.
  void set_measured_allreduce(GroupShape shape, MeasuredCurve points, const std::string& file = "calibration",
                              const std::string& pointer = "");
  void set_measured_allreduce(int group_size, MeasuredCurve points, const std::string& file = "calibration",
                              const std::string& pointer = "") {
    set_measured_allreduce(GroupShape{.gpus = group_size, .hosts = 0}, std::move(points), file, pointer);
  }

  // The host's cost of issuing a collective (a calibration profile's "collective_issue") and who
  // issues them (the topology JSON's "collective_issue"); group_cost() applies both.
  void set_collective_issue(const CollectiveIssue& issue) { issue_ = issue; }
  void set_issue_mode(IssueMode mode) { issue_mode_ = mode; }
  const CollectiveIssue& collective_issue() const { return issue_; }
  IssueMode issue_mode() const { return issue_mode_; }

  // The explicit JSON form of this graph; make_topology() of it builds the same topology.
  nlohmann::json to_json() const;

 private:
  void check_group(std::span<const int> group) const;
  const Route& route_from_gpu(int gpu, Vertex to) const;
  std::vector<Route> hop_routes(std::span<const int> group, std::size_t i) const;  // collectives.cpp
  GroupCost model_cost(std::span<const int> group) const;                          // collectives.cpp

  std::string name_;
  TopologyGraph graph_;
  std::vector<Vertex> gpu_vertex_;              // gpu id -> vertex
  std::vector<double> link_bandwidth_;          // link id -> bytes/s per direction
  std::vector<double> link_rated_bandwidth_;    // link id -> NCCL's rating of it (collectives.cpp)
  std::vector<bool> link_nvlink_;               // link id -> an NVLink (GPU-GPU or GPU-NVSwitch)
  std::vector<int> host_of_gpu_;
  int host_count_ = 0;
  std::vector<std::vector<Route>> gpu_routes_;  // [gpu][vertex]: widest route from the GPU
  std::vector<int> gpu_nic_;                    // [gpu]: vertex of the NIC NCCL would give it, -1 none
  std::map<std::pair<Vertex, Vertex>, Route> nic_routes_;  // NIC -> NIC over network nodes only
  std::map<GroupShape, MeasuredCurve> measured_;
  CollectiveIssue issue_;
  IssueMode issue_mode_ = IssueMode::thread_per_gpu;
};

// Build from a scenario's "topology" value: a preset name, {"preset": ..., overrides}, or the explicit
// {"nodes": [...], "links": [...]} form. pointer is where the value sits ("/topology").
Topology make_topology(const nlohmann::json& topology_config, const std::string& file, const std::string& pointer);

}  // namespace kvsim
