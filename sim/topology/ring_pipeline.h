// NCCL's ring channel count and Simple-protocol slice pipeline (ring_pipeline.cpp says where each
// rule and constant comes from). Used by collectives.cpp for the ring/Simple execution time.
#pragma once

#include <cstdint>

namespace kvsim {

// Channels NCCL's communicator gets for a ring whose rated bottleneck is busbw (bytes/s): the ring
// search over the sm90 speed array (intra-host array for one host, network array otherwise), its
// duplication, and ncclTopoPostset's doubling. 24 for a 370.8 GB/s NVLink ring.
int nccl_ring_channels(double busbw_bytes_per_s, bool one_host);

// The same search's result as NCCL's tuner sees it: the communicator's channels (above) and the bus
// bandwidth ncclTopoTuneModel starts from, graph nChannels x bwIntra = the search's channels x speed
// (the speed a step of the sm90 array, not the link's rate): 12 x 30 = 360 GB/s for a 370.8 GB/s
// NVLink ring, as NCCL 2.28.3 prints it (calibration/profiles/h200/raw/run8-h200x2-nccl-tuning/).
struct NcclRingSearch {
  int channels = 2;
  double busbw = 0;  // bytes/s
};
NcclRingSearch nccl_ring_search(double busbw_bytes_per_s, bool one_host);

// Channels one call runs on: NCCL's enqueue drops channels while bytes < channels x threads x the
// protocol's per-thread threshold (LL 512 x 8, x ranks for ring LL; LL128 640 x 8; Simple 512 x 64).
// protocol: 0 LL, 1 LL128, 2 Simple (NcclProtocol's order).
int nccl_channels_used(std::int64_t bytes, int protocol, int channels, int ranks, bool ring);

struct RingPipelineInputs {
  double busbw = 0;           // rated ring bottleneck, bytes/s (shared evenly by the channels)
  int channels = 1;           // nccl_ring_channels()
  int gpus = 2;               // ranks in the ring
  int nsteps = 2;             // 2(n-1) all-reduce, n-1 all-gather
  int inter_steps = 0;        // steps that cross hosts
  bool allreduce = true;
  double intra_latency_s = 0;  // per-step Simple latency (NCCL hwLat) inside a host
  double inter_latency_s = 0;  // per-step Simple latency across hosts
};

// Algorithm bandwidth (bytes/s) of a ring/Simple collective of `bytes`: NCCL's slice pipeline per
// channel, summed over the channels used, soft-capped at busbw * n / nsteps.
double ring_simple_pipeline_algbw(const RingPipelineInputs& in, double bytes);

}  // namespace kvsim
