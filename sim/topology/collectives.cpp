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
// That bottleneck (datasheet rates) is GroupCost::ring and is what the tests compare with hand
// arithmetic; the time model below starts from the same loads with NCCL's rating of each link.
//
// Time: NCCL's own cost model. Constants from NVIDIA/nccl src/graph/tuning.cc, the 2.2x release
// line that has the PAT algorithm and Blackwell tables, and SM90_NVLINK_BW from src/graph/topo.h. The
// measured profile ran NCCL 2.28.3; its printed tuner table on 2 x H200 (calibration/profiles/h200/
// raw/run8-h200x2-nccl-tuning/, "Latency/AlgBw", AllReduce row: Ring LL 7.8/141.0, LL128 17.8/331.2,
// Simple 15.2/360.0; Tree 8.0/61.1, 16.5/180.6, 16.4/232.2) is what tests/topology/
// test_nvlink2_measured.cpp checks the ring terms against:
//   time(a, p) = baseLat[a][p] + hop latencies + bytes / algbw(a, p)
// and the tuner's choice is the (algorithm, protocol) with the smallest time (ncclTopoGetAlgoTime).
//   * busbw B: NCCL's busBw = ring graph nChannels x bwIntra, i.e. what its ring search makes of the
//     ring bottleneck (nccl_ring_search, ring_pipeline.h): the most channels of one step of the sm90
//     speed array, 6 x 60 = 360 GB/s on NVLink. The bottleneck it searches is computed as above but
//     with NCCL's link ratings (NVLink 20.6 GB/s per link instead of 25: kNcclNvlinkRating, 370.8
//     GB/s for 18 links; other links as in the graph).
//   * Ring: LL busbw min(llMaxBw, B/2), LL128 0.92 B (Hopper, NVLink inside hosts only), Simple B;
//     algbw = busbw * n / nsteps, nsteps = 2(n-1) for all-reduce, n-1 for all-gather.
//     Latency (nsteps - nInter) * intraLat + nInter * interLat, nInter = 2(hosts-1) (all-reduce) or
//     hosts-1 (all-gather); across hosts intraLat is at least NCCL's net overhead (1 us, x3 for
//     Simple), and Simple all-reduce across hosts pays the "plateau" factor 1.4 on its latency.
//   * Tree (groups spanning hosts; NCCL's double binary tree): busbw 0.92 B; LL min(that / 3.8,
//     llMaxBw), LL128 that * 120/128 (only with NVLink inside hosts); algbw = busbw / 2, times
//     treeCorrectionFactor by message size. Latency 2 * ((GPUs per host - 1) * intraLat +
//     log2i(hosts) * interLat), interLat from NCCL's tree column when there is one GPU per host.
//   * Hop latencies: the graph gives each hop its LL latency (presets use NCCL's Ring/LL hwLat:
//     NVLink 0.6, PCIe 1.0, net 2.7 us, spread over the path's links); other protocols and the
//     tree scale it by hwLat[type][algo][proto] / hwLat[type][ring][LL], type = NVLink when every
//     link of the hop is NVLink, network when the hop leaves the host, PCIe otherwise.
//   * Ring/Simple execution (not the tuner's estimate): the tuner's latency, then the bytes through
//     NCCL's slice pipeline over the communicator's channels (ring_pipeline.h) instead of at the linear
//     algbw; the tuner still picks with the linear model above.
//   * That is the collective's time on the GPUs, launch included: the in-stream time of back-to-back
//     all-reduces on the 2 x H200 (run9, every protocol forced in turn) is 6.4 us for a 1 KiB Ring/LL
//     against NCCL's 7.8, and 16.1 us for a 1 KiB Ring/Simple against its 15.2 (raw/run9-h200x2-
//     allreduce-repeats/README.md has the whole comparison).
//   Not modelled: the tree on a single host (NCCL 2.28.3 enables it; every cell of its printed Tree row
//   is slower than the Ring cell of the same protocol on 2 x H200, so it is never chosen there, but
//   on other single-host shapes it is not checked), the per-channel caps perChMaxTreeBw (Hopper 38.7
//   GB/s per channel: what bounds that Tree row) and perChMaxRingLL128Bw (36.7, not binding on NVLink
//   rings), and NVLS/CollNet/PAT.
//
// Issue: a host thread spends time on every call, for every GPU it drives: NCCL builds a plan with a
// work item per channel and launches a kernel per GPU. Calls issued back to back therefore take
//   per call = max(GPU time, gpus_per_issuing_thread x (per_gpu_s + per_gpu_channel_s x channels))
// with the channels NCCL's enqueue gives the call (nccl_channels_used). The two costs come from a
// calibration profile (kvsim-fit --issue-from: bench_allreduce's enqueue_seconds, the host time per
// call while the GPUs are held); on 2 x H200 that host time is 12.0 us at 1 channel and 13.9 at 24
// for one thread driving both GPUs, and up to 1 MiB it, not the GPUs, sets the host-clock curve.
// Only that configuration was measured: that the cost grows with the GPUs one thread drives, and
// that a thread per GPU pays one GPU's share, is this model's assumption.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "sim/topology/ring_pipeline.h"
#include "sim/topology/topology.h"

namespace kvsim {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kUs = 1e-6;
constexpr double kGBps = 1e9;

// NCCL src/graph/tuning.cc (see the top of this file). [algorithm: tree, ring][protocol: LL, LL128, Simple]
constexpr double kBaseLatUs[2][3] = {{6.8, 14.0, 8.4}, {6.6, 14.0, 8.4}};
enum Hw { kNvlink = 0, kPci = 1, kNet = 2 };
constexpr double kHwLatUs[3][2][3] = {
    /* NVLink */ {{0.6, 1.25, 4.0}, {0.6, 1.9, 3.4}},
    /* PCIe   */ {{1.0, 1.9, 4.0}, {1.0, 2.5, 5.7}},
    /* net    */ {{5.0, 8.5, 14.0}, {2.7, 4.0, 14.0}},
};
// llMaxBws: one node uses the GPU row (Hopper 141 GB/s); several nodes the CPU row (Intel, as the
// presets' Xeon: 39.0 for 2 nodes, 20.4 beyond).
constexpr double kLlMaxBwHopperOneNode = 141.0 * kGBps;
constexpr double kLlMaxBwIntelTwoNodes = 39.0 * kGBps;
constexpr double kLlMaxBwIntelMoreNodes = 20.4 * kGBps;
constexpr double kRingLl128Factor = 0.92;
constexpr double kTreeFactor = 0.92;
constexpr double kTreeLlFactor = 1.0 / 3.8;
constexpr double kTreeLl128FactorOneNode = 7.0 / 9.0;
constexpr double kTreeLl128FactorNodes = 120.0 / 128.0;
constexpr double kNetOverheadUs = 1.0;    // getNetOverhead(): x86 Intel
constexpr double kRingPlateauFactor = 1.4;  // sm80+
// treeCorrectionFactor[protocol][log2(bytes / 64)], 64 B .. 256 MB
constexpr double kTreeCorrection[3][23] = {
    {1.0, 1.0, 1.0, 1.0, .9, .8, .7, .7, .7, .7, .6, .5, .4, .4, .5, .6, .7, .8, .9, 1.0, 1.0, 1.0, 1.0},
    {1.0, 1.0, 1.0, 1.0, 1.0, .9, .8, .8, .8, .7, .6, .6, .6, .6, .6, .6, .8, .9, .9, .9, .9, 1.0, 1.0},
    {.9, .9, .9, .9, .9, .9, .9, .8, .7, .6, .6, .5, .5, .5, .5, .6, .7, .8, .7, .7, .8, .9, .9}};

int log2i(std::int64_t n) {
  int l = 0;
  while (n >>= 1) ++l;
  return l;
}

constexpr NcclProtocol kProtocols[3] = {NcclProtocol::ll, NcclProtocol::ll128, NcclProtocol::simple};

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
    cost.nccl.busbw = kInf;
    return cost;
  }
  std::vector<double> load(2 * link_bandwidth_.size(), 0.0);
  double latency_sum = 0, max_intra = 0, max_inter = 0;
  // Per-protocol hop latencies (NCCL's hwLat ratios applied to the graph's hop latency).
  double ring_intra[3] = {0, 0, 0}, ring_inter[3] = {0, 0, 0}, tree_intra[3] = {0, 0, 0}, tree_inter[3] = {0, 0, 0};
  int intra_hops = 0, inter_hops = 0;
  bool all_nvlink = true;
  for (std::size_t i = 0; i < n; ++i) {
    const std::vector<Route> routes = hop_routes(group, i);
    const double weight = 1.0 / static_cast<double>(routes.size());
    double hop_latency = 0;
    bool nvlink = true;
    for (const Route& route : routes) {
      for (int link : route.links) {
        load[link] += weight;
        nvlink = nvlink && link_nvlink_[link / 2];
      }
      hop_latency = std::max(hop_latency, route.spec.latency_s);
    }
    latency_sum += hop_latency;
    const bool crossing = host_of_gpu_[group[i]] != host_of_gpu_[group[(i + 1) % n]];
    (crossing ? max_inter : max_intra) = std::max(crossing ? max_inter : max_intra, hop_latency);
    const int hw = crossing ? kNet : nvlink ? kNvlink : kPci;
    if (!crossing) all_nvlink = all_nvlink && nvlink;
    // With one GPU per host, NCCL takes the tree's network latency for the ring too (tuning.cc).
    const bool one_per_host = cost.shape.gpus == cost.shape.hosts;
    for (int p = 0; p < 3; ++p) {
      const double scale = hop_latency / kHwLatUs[hw][1][0];
      const double ring_p = (crossing && one_per_host) ? kHwLatUs[hw][0][p] : kHwLatUs[hw][1][p];
      (crossing ? ring_inter : ring_intra)[p] += scale * ring_p;
      (crossing ? tree_inter : tree_intra)[p] += scale * kHwLatUs[hw][0][p];
    }
    ++(crossing ? inter_hops : intra_hops);
  }
  double busbw = kInf, rated = kInf;
  for (std::size_t link = 0; link < load.size(); ++link) {
    if (load[link] <= 0) continue;
    busbw = std::min(busbw, link_bandwidth_[link / 2] / load[link]);
    rated = std::min(rated, link_rated_bandwidth_[link / 2] / load[link]);
  }
  cost.ring = {.bandwidth_bytes_per_s = busbw, .latency_s = latency_sum / static_cast<double>(n)};

  NcclTerms& t = cost.nccl;
  const NcclRingSearch search = nccl_ring_search(rated, cost.shape.hosts == 1);
  t.busbw = search.busbw;
  t.channels = search.channels;
  t.ll128 = all_nvlink;
  t.ll_max_bw = cost.shape.hosts == 1   ? kLlMaxBwHopperOneNode
                : cost.shape.hosts == 2 ? kLlMaxBwIntelTwoNodes
                                        : kLlMaxBwIntelMoreNodes;
  for (int p = 0; p < 3; ++p) {
    if (intra_hops > 0) t.ring_intra_s[p] = ring_intra[p] / intra_hops;
    if (intra_hops > 0) t.tree_intra_s[p] = tree_intra[p] / intra_hops;
    if (inter_hops > 0) t.ring_inter_s[p] = ring_inter[p] / inter_hops;
    if (inter_hops > 0) t.tree_inter_s[p] = tree_inter[p] / inter_hops;
  }

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
  cost.issue = issue_;
  cost.gpus_per_issuing_thread = issue_mode_ == IssueMode::one_thread ? cost.shape.gpus : 1;
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

namespace {

// NCCL's ring GPU time for one protocol: its tuner's latency (base + nsteps hop latencies, nInter of
// them across hosts), then the bytes at the protocol's rate. With `pipelined`, Simple moves its bytes
// through the slice pipeline (ring_pipeline.cpp; its hop latencies are the tuner's, charged once
// above, so the pipeline runs with none); otherwise at NCCL's linear algbw.
double nccl_ring_s(const GroupCost& c, double bytes, int p, int nsteps, int n_inter, bool allreduce,
                   bool pipelined) {
  const NcclTerms& t = c.nccl;
  const NcclProtocol proto = kProtocols[p];
  if (proto == NcclProtocol::ll128 && !t.ll128) return kInf;
  double busbw = t.busbw;
  if (proto == NcclProtocol::ll) busbw = std::min(t.ll_max_bw, busbw * 0.5);
  if (proto == NcclProtocol::ll128) busbw *= kRingLl128Factor;
  const double algbw = busbw * c.shape.gpus / nsteps;
  double intra = t.ring_intra_s[p];
  if (c.shape.hosts > 1)
    intra = std::max(intra, kNetOverheadUs * kUs * (proto == NcclProtocol::simple ? 3 : 1));
  double latency = kBaseLatUs[1][p] * kUs + (nsteps - n_inter) * intra + n_inter * t.ring_inter_s[p];
  if (allreduce && proto == NcclProtocol::simple && c.shape.hosts > 1) latency *= kRingPlateauFactor;
  if (pipelined && proto == NcclProtocol::simple) {
    const RingPipelineInputs in{.busbw = t.busbw, .channels = t.channels, .gpus = c.shape.gpus,
                                .nsteps = nsteps, .inter_steps = n_inter, .allreduce = allreduce};
    return latency + bytes / ring_simple_pipeline_algbw(in, bytes);
  }
  return latency + bytes / algbw;
}

double nccl_tree_s(const GroupCost& c, std::int64_t bytes, int p) {
  const NcclTerms& t = c.nccl;
  const NcclProtocol proto = kProtocols[p];
  if (!c.has_tree || (proto == NcclProtocol::ll128 && !t.ll128)) return kInf;
  double busbw = t.busbw * kTreeFactor;
  if (proto == NcclProtocol::ll) busbw = std::min(busbw * kTreeLlFactor, t.ll_max_bw);
  if (proto == NcclProtocol::ll128)
    busbw *= c.shape.hosts == 1 ? kTreeLl128FactorOneNode : kTreeLl128FactorNodes;
  double algbw = busbw * 0.5;
  const int log_size = log2i(bytes >> 6);
  if (log_size >= 0 && log_size < 23 && bytes >= 64) algbw *= kTreeCorrection[p][log_size];
  const int per_host = c.shape.gpus / c.shape.hosts;
  const double latency = kBaseLatUs[0][p] * kUs +
                         2 * ((per_host - 1) * t.tree_intra_s[p] + log2i(c.shape.hosts) * t.tree_inter_s[p]);
  return latency + static_cast<double>(bytes) / algbw;
}

// A choice's channels, its issue time and the per-call time: the GPUs' or the host's, whichever is longer.
NcclChoice finish(const GroupCost& c, NcclChoice choice, std::int64_t bytes) {
  choice.channels = nccl_channels_used(bytes, static_cast<int>(choice.protocol), c.nccl.channels, c.shape.gpus,
                                       choice.algorithm == NcclAlgorithm::ring);
  choice.issue_seconds = c.issue_s(choice.channels);
  choice.seconds = std::max(choice.gpu_seconds, choice.issue_seconds);
  return choice;
}

}  // namespace

std::string_view nccl_algorithm_name(NcclAlgorithm a) { return a == NcclAlgorithm::tree ? "tree" : "ring"; }
std::string_view nccl_protocol_name(NcclProtocol p) {
  return p == NcclProtocol::ll ? "LL" : p == NcclProtocol::ll128 ? "LL128" : "Simple";
}
std::string_view issue_mode_name(IssueMode m) { return m == IssueMode::one_thread ? "one_thread" : "thread_per_gpu"; }

double GroupCost::issue_s(int channels) const {
  return gpus_per_issuing_thread * (issue.per_gpu_s + issue.per_gpu_channel_s * channels);
}

namespace {

// One all-reduce algorithm and protocol; `pipelined`: ring/Simple through its slice pipeline (the
// execution time) rather than NCCL's linear tuner model.
double allreduce_s_of(const GroupCost& c, std::int64_t bytes, NcclAlgorithm a, NcclProtocol p, bool pipelined) {
  if (c.shape.gpus <= 1 || bytes <= 0) return 0;
  const int pi = static_cast<int>(p);
  if (a == NcclAlgorithm::tree) return nccl_tree_s(c, bytes, pi);
  const int n_inter = c.shape.hosts > 1 ? 2 * (c.shape.hosts - 1) : 0;
  return nccl_ring_s(c, static_cast<double>(bytes), pi, 2 * (c.shape.gpus - 1), n_inter, true, pipelined);
}

}  // namespace

double GroupCost::nccl_allreduce_s(std::int64_t bytes, NcclAlgorithm a, NcclProtocol p) const {
  return allreduce_s_of(*this, bytes, a, p, true);
}

double GroupCost::nccl_tuner_allreduce_s(std::int64_t bytes, NcclAlgorithm a, NcclProtocol p) const {
  return allreduce_s_of(*this, bytes, a, p, false);
}

// NCCL's tuner picks with its linear model; the time reported is how long that choice then takes.
NcclChoice GroupCost::allreduce_choice(std::int64_t bytes) const {
  if (shape.gpus <= 1 || bytes <= 0) return {};
  NcclChoice best{.algorithm = NcclAlgorithm::ring, .protocol = NcclProtocol::simple};
  double best_tuner = kInf;
  for (NcclAlgorithm a : {NcclAlgorithm::tree, NcclAlgorithm::ring})
    for (NcclProtocol p : kProtocols) {
      const double s = nccl_tuner_allreduce_s(bytes, a, p);
      if (s < best_tuner) {
        best_tuner = s;
        best = {.algorithm = a, .protocol = p};
      }
    }
  best.gpu_seconds = nccl_allreduce_s(bytes, best.algorithm, best.protocol);
  return finish(*this, best, bytes);
}

// The ring (tree) protocol NCCL's tuner would pick among the ring's (tree's), and its time.
double GroupCost::ring_allreduce_s(std::int64_t bytes) const {
  if (shape.gpus <= 1 || bytes <= 0) return 0;
  NcclProtocol pick = NcclProtocol::simple;
  double best = kInf;
  for (NcclProtocol p : kProtocols) {
    const double s = nccl_tuner_allreduce_s(bytes, NcclAlgorithm::ring, p);
    if (s < best) best = s, pick = p;
  }
  return nccl_allreduce_s(bytes, NcclAlgorithm::ring, pick);
}

double GroupCost::tree_allreduce_s(std::int64_t bytes) const {
  if (!has_tree) return kInf;
  if (bytes <= 0) return 0;
  double best = kInf;
  for (NcclProtocol p : kProtocols) best = std::min(best, nccl_allreduce_s(bytes, NcclAlgorithm::tree, p));
  return best;
}

double GroupCost::allreduce_s(std::int64_t bytes) const {
  if (shape.gpus <= 1 || bytes <= 0) return 0;
  if (!measured.empty()) return interpolate_measured(measured, bytes);
  return allreduce_choice(bytes).seconds;
}

double GroupCost::allgather_s(std::int64_t bytes_total) const {
  if (shape.gpus <= 1 || bytes_total <= 0) return 0;
  const double b = static_cast<double>(bytes_total);
  int pick = 2;
  double best = kInf;
  for (int p = 0; p < 3; ++p) {
    const double s = nccl_ring_s(*this, b, p, shape.gpus - 1, shape.hosts - 1, false, false);
    if (s < best) best = s, pick = p;
  }
  NcclChoice choice{.algorithm = NcclAlgorithm::ring, .protocol = kProtocols[pick]};
  choice.gpu_seconds = nccl_ring_s(*this, b, pick, shape.gpus - 1, shape.hosts - 1, false, true);
  return finish(*this, choice, bytes_total).seconds;
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
