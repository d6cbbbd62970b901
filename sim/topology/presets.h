// Preset topologies: one server (HGX with NVSwitch, an NVLink-bridged pair, a PCIe-only two-socket
// box) and clusters of such servers joined by InfiniBand or RoCE NICs, rail-optimized or not.
// The numbers are vendor datasheet figures and NCCL's own latency estimates, i.e. leads, not
// measurements; presets.cpp cites each. A calibration profile's measured NCCL data overrides them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/topology/graph.h"

namespace kvsim {

enum class ServerKind { hgx, nvlink_pair, pcie };

struct ServerParams {
  ServerKind kind = ServerKind::hgx;
  int gpus = 8;                    // hgx only; nvlink_pair has 2, pcie sockets*switches*gpus_per_switch
  int gpus_per_switch = 2;         // GPUs under one PCIe switch
  int switches_per_socket = 2;     // pcie only (hgx: switches spread over 2 sockets)
  double nvlink_gbps = 450;        // per direction per GPU
  double nvlink_latency_us = 0.3;  // per link; hgx GPU-switch-GPU path = 0.6, nvlink-2 bridge 0.6
  double pcie_gbps = 64;           // per direction, Gen5 x16
  double pcie_latency_us = 0.5;    // per link; GPU-switch-GPU path = 1.0
  double socket_link_gbps = 128;   // CPU socket to socket, per direction
  double socket_link_latency_us = 0.5;
};

enum class NicKind { ib_ndr_400, roce_400 };

struct ClusterParams {
  int nodes = 2;
  std::string server_preset = "hgx-h200-8";
  ServerParams server;
  NicKind nic = NicKind::ib_ndr_400;
  double nic_gbps = 50;             // per direction (400 Gb/s)
  double nic_latency_us = 1.35;     // per NIC-switch link; NIC-leaf-NIC = 2.7
  bool rail_optimized = true;
  double switch_latency_us = 0.5;   // leaf <-> spine link
  double oversubscription = 1;      // leaf uplink = its downlinks' bandwidth / oversubscription
};

// Single-server presets: "hgx-h200-8", "nvlink-2", "pcie-2socket-8".
std::vector<std::string> server_preset_names();
bool server_preset(std::string_view name, ServerParams* out);  // false: unknown name
// Cluster presets: "multi-node" (parameters from JSON), "ib-2node-hgx" (2 HGX, NDR, rail-optimized).
std::vector<std::string> cluster_preset_names();
std::string_view nic_kind_name(NicKind kind);

TopologyGraph build_server(const ServerParams& params);
TopologyGraph build_cluster(const ClusterParams& params);

}  // namespace kvsim
