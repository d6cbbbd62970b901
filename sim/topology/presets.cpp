// Preset graphs (see presets.h). Where the numbers come from; all are leads to be replaced by
// measured NCCL data from a calibration profile:
//   * NVLink 4 on H100/H200 SXM: 18 links, 900 GB/s per GPU bidirectional = 450 GB/s per direction
//     (NVIDIA H200 Tensor Core GPU datasheet, "NVLink: 900GB/s"). HGX H200 8-GPU has four
//     third-generation NVSwitch chips; NCCL spreads traffic over all 18 links, so they are folded
//     into one logical non-blocking "nvswitch" node with one 450 GB/s link per GPU.
//   * H200 NVL pair: "2- or 4-way NVIDIA NVLink bridge: 900GB/s" per GPU (H200 NVL datasheet) =
//     450 GB/s per direction on one direct GPU-GPU link.
//   * PCIe Gen5 x16: 32 GT/s x 16 lanes, 128b/130b = 63 GB/s, quoted as 128 GB/s bidirectional in
//     the H200 datasheet; 64 GB/s per direction for every GPU, NIC and switch-uplink link.
//   * CPU sockets: Intel Xeon Platinum 8480+ (the DGX H100 CPU; Intel ARK: 4 UPI links at 16 GT/s),
//     taken as 4 x 32 GB/s = 128 GB/s per direction. GPU peer traffic through the root complex is
//     often much slower than this; measure it.
//   * NICs: NVIDIA ConnectX-7, 400 Gb/s = 50 GB/s per direction in both InfiniBand NDR and 400GbE
//     (RoCE) modes; DGX H100 has eight, one per GPU (DGX H100 user guide). PCIe placement of GPUs
//     and NICs (two GPUs and two NICs per PCIe switch, two switches per socket) is an assumption
//     in the spirit of the DGX H100 block diagram.
//   * Latencies: NCCL's per-hop estimates for the LL protocol (src/graph/tuning.cc, hwLat, Ring/LL):
//     NVLink 0.6 us, PCIe 1.0 us, network 2.7 us, split evenly over the links of a GPU-GPU (or
//     NIC-NIC) path. NCCL has one "NET" figure for InfiniBand and RoCE alike, so ib-ndr-400 and
//     roce-400 differ only in name until calibrated. Leaf-spine links (0.5 us) are an assumption.
#include "sim/topology/presets.h"

#include <algorithm>
#include <stdexcept>

namespace kvsim {

namespace {

// prefix + i; appending (rather than "literal" + std::to_string) also sidesteps a GCC 12 -Wrestrict
// false positive.
std::string numbered(std::string prefix, int i) {
  prefix += std::to_string(i);
  return prefix;
}

// Adds one server's nodes under `prefix` ("n0." in clusters). With nics, one NIC per GPU on HGX
// (next to it, on its PCIe switch) and one per PCIe switch otherwise; their vertices go to *nics.
void add_server(GraphBuilder& b, const ServerParams& p, const std::string& prefix, std::vector<Vertex>* nics) {
  const LinkSpec pcie = link_gbps_us(p.pcie_gbps, p.pcie_latency_us);
  auto name = [&](const char* kind, int i) { return numbered(prefix + kind, i); };

  int gpus = p.gpus;
  int switches = 0;
  int sockets = 2;
  switch (p.kind) {
    case ServerKind::hgx:
      switches = (gpus + p.gpus_per_switch - 1) / p.gpus_per_switch;
      break;
    case ServerKind::nvlink_pair:
      gpus = 2;
      switches = 1;
      sockets = 1;
      break;
    case ServerKind::pcie:
      switches = sockets * p.switches_per_socket;
      gpus = switches * p.gpus_per_switch;
      break;
  }
  for (int s = 0; s < sockets; ++s) b.add_node(name("cpu", s), NodeKind::cpu);
  if (sockets == 2)
    b.add_link(name("cpu", 0), name("cpu", 1), link_gbps_us(p.socket_link_gbps, p.socket_link_latency_us));
  for (int s = 0; s < switches; ++s) {
    b.add_node(name("pcie", s), NodeKind::pcie_switch);
    b.add_link(name("pcie", s), name("cpu", s * sockets / switches), pcie);
  }
  for (int g = 0; g < gpus; ++g) {
    b.add_node(name("gpu", g), NodeKind::gpu);
    b.add_link(name("gpu", g), name("pcie", std::min(g / p.gpus_per_switch, switches - 1)), pcie);
  }
  if (p.kind == ServerKind::hgx) {
    b.add_node(prefix + "nvswitch", NodeKind::nvswitch);
    for (int g = 0; g < gpus; ++g)
      b.add_link(name("gpu", g), prefix + "nvswitch", link_gbps_us(p.nvlink_gbps, p.nvlink_latency_us));
  } else if (p.kind == ServerKind::nvlink_pair) {
    b.add_link(name("gpu", 0), name("gpu", 1), link_gbps_us(p.nvlink_gbps, p.nvlink_latency_us));
  }
  if (nics) {
    const int count = p.kind == ServerKind::hgx ? gpus : switches;
    for (int i = 0; i < count; ++i) {
      nics->push_back(b.add_node(name("nic", i), NodeKind::nic));
      const int sw = p.kind == ServerKind::hgx ? std::min(i / p.gpus_per_switch, switches - 1) : i;
      b.add_link(name("nic", i), name("pcie", sw), pcie);
    }
  }
}

}  // namespace

std::vector<std::string> server_preset_names() { return {"hgx-h200-8", "nvlink-2", "pcie-2socket-8"}; }

bool server_preset(std::string_view name, ServerParams* out) {
  ServerParams p;
  if (name == "hgx-h200-8") {
    p.kind = ServerKind::hgx;
  } else if (name == "nvlink-2") {
    p.kind = ServerKind::nvlink_pair;
    p.gpus = 2;
    p.nvlink_latency_us = 0.6;  // one direct bridge link is the whole GPU-GPU path
  } else if (name == "pcie-2socket-8") {
    p.kind = ServerKind::pcie;
    p.gpus = 8;
  } else {
    return false;
  }
  *out = p;
  return true;
}

std::vector<std::string> cluster_preset_names() { return {"multi-node", "ib-2node-hgx"}; }

std::string_view nic_kind_name(NicKind kind) { return kind == NicKind::ib_ndr_400 ? "ib-ndr-400" : "roce-400"; }

TopologyGraph build_server(const ServerParams& params) {
  GraphBuilder b;
  add_server(b, params, "", nullptr);
  return b.take();
}

// Rail-optimized: NIC r of every node goes to leaf "rail<r>", so same-rail traffic crosses one switch.
// Otherwise each node's NICs go to its own leaf "leaf<i>" and all inter-node traffic crosses the spine.
// Either way the leaves hang off one spine whose links carry the leaf's downlink bandwidth divided by
// the oversubscription (1 = full bisection).
TopologyGraph build_cluster(const ClusterParams& params) {
  GraphBuilder b;
  std::vector<std::vector<Vertex>> nics(params.nodes);
  for (int i = 0; i < params.nodes; ++i) add_server(b, params.server, numbered("n", i) + ".", &nics[i]);
  const LinkSpec nic = link_gbps_us(params.nic_gbps, params.nic_latency_us);
  const Vertex spine = b.add_node("spine", NodeKind::network_switch);
  const int per_node = static_cast<int>(nics[0].size());
  if (params.rail_optimized) {
    for (int r = 0; r < per_node; ++r) {
      const Vertex leaf = b.add_node(numbered("rail", r), NodeKind::network_switch);
      for (int i = 0; i < params.nodes; ++i) b.add_link(nics[i][r], leaf, nic);
      b.add_link(leaf, spine,
                 link_gbps_us(params.nodes * params.nic_gbps / params.oversubscription, params.switch_latency_us));
    }
  } else {
    for (int i = 0; i < params.nodes; ++i) {
      const Vertex leaf = b.add_node(numbered("leaf", i), NodeKind::network_switch);
      for (Vertex v : nics[i]) b.add_link(v, leaf, nic);
      b.add_link(leaf, spine,
                 link_gbps_us(per_node * params.nic_gbps / params.oversubscription, params.switch_latency_us));
    }
  }
  return b.take();
}

}  // namespace kvsim
