// How long NCCL's ring takes to move a message with the Simple protocol, from its slice pipeline
// rather than from bytes / bus bandwidth alone. Used by collectives.cpp for the ring/Simple
// execution time; NCCL's tuner (which picks the protocol) keeps its linear model there.
//
// Why: a Simple ring does not stream bytes, it forwards slices. Each of a channel's slices is
// written into the peer's FIFO and handed on only once the whole slice has landed (the step's tail
// pointer is posted after the copy), so a channel's time is the first slice crossing all nsteps
// hops, then one slice time per remaining slice:
//     T_channel = nsteps * (hwLat / 2 + slice / bwCh) + (nSlices - 1) * slice / bwCh
// and the collective runs at softmin(channelSize / T_channel * channels, busbw * n / nsteps), NCCL's
// smooth minimum with softness 0.1 of the ceiling. This is NCCL's own pipeline model (the ring
// pipeline of src/tuning in the NCCL release line after 2.28: pipelineModel(), ringMaxBusBw(),
// ncclTuningPipelineRingComputePipeline(), ncclSoftMin() in model.h); the measured library (2.28.3)
// executes the same pipeline but still chooses protocols with the linear model.
//
// Inputs, all from the graph and NCCL's constants (nothing fitted to a measurement):
//   * Channels: NCCL's ring search (src/graph/search.cc, ncclTopoCompute) tries per-channel speeds
//     from its sm90 array, takes the most channels of that speed the bottleneck holds (at most
//     MAXCHANNELS/2 = 16), keeps the best channels x speed while the next speed is above 0.49 of
//     it, then doubles the channels when the speed is >= 25 GB/s (ncclTopoDupChannels, unless
//     below 50 GB/s with more than 4 channels); ncclTopoPostset doubles them again for the
//     communicator. 2 x H200 NVLink (370.8 GB/s): 6 x 60 -> 12 x 30 -> 24 channels.
//   * Each channel gets busbw / channels, busbw = the search's channels x speed (nccl_ring_search).
//   * Channels used for a message: enqueue.cc topoGetAlgoInfo drops channels while
//     bytes < channels * threads * threshold: Simple 512 threads (NCCL_SIMPLE_MAX_NTHREADS) x 64
//     (NCCL_SIMPLE_THREAD_THRESHOLD); LL 512 (NCCL_LL_MAX_NTHREADS) x 8 (NCCL_LL_THREAD_THRESHOLD), the
//     threshold multiplied by the ranks for ring LL (tuning.cc); LL128 640 x 8. NCCL 2.28.3 on 2 x H200
//     logged Ring/LL on 1, 2, 4, 8, 16 channels at 8, 16, 32, 64, 128 KiB as this rule gives, then 22
//     at 256 KiB where the rule gives all 24 (calibration/profiles/h200/raw/run8-h200x2-nccl-tuning).
//   * Chunk and slice: Simple buffer 4 MiB over NCCL_STEPS = 8 steps, all-reduce chunk 4 steps
//     (2 MiB), slice 2 steps; a channel's chunk is min(2 MiB, its share / n: runRing's last loop
//     cuts what is left into n chunks) and the slice is half a
//     chunk (ncclSimpleSliceSize, 16-element aligned, at least 1/32 of the nominal 1 MiB slice),
//     for 2-byte (bf16) elements.
//   * nSlices = ceil(slices of the channel's share * nsteps / n), minus one "ghost" slice for
//     all-reduce on more than 2 ranks.
#include "sim/topology/ring_pipeline.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace kvsim {

namespace {

constexpr double kGBps = 1e9;
constexpr double kSm90SpeedsIntra[] = {60.0, 50.0, 40.0, 30.0, 24.0, 20.0, 15.0, 12.0, 11.0, 6.0, 3.0};
constexpr double kSm90SpeedsInter[] = {48.0, 45.0, 42.0, 40.0, 30.0, 24.0, 22.0, 20.0, 17.5,
                                       15.0, 12.0, 6.0,  3.0,  2.4,  1.2,  0.24, 0.12};
constexpr int kMaxSearchChannels = 16;       // MAXCHANNELS / 2
constexpr std::int64_t kThreads[3] = {512, 640, 512};        // NCCL_{LL,LL128,SIMPLE}_MAX_NTHREADS
constexpr std::int64_t kThreadThreshold[3] = {8, 8, 64};     // NCCL_{LL,LL128,SIMPLE}_THREAD_THRESHOLD
constexpr int kSimple = 2;
constexpr std::int64_t kChunkBytes = 2 << 20;        // (4 MiB / 8 steps) x 4 chunk steps
constexpr std::int64_t kNominalSliceBytes = 1 << 20;  // 2 slice steps
constexpr std::int64_t kElementBytes = 2;             // bf16
constexpr double kSoftness = 0.1;

std::int64_t div_up(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// NCCL's ncclSoftMin: a smooth min(x, ceiling).
double soft_min(double x, double ceiling, double softness) {
  return ceiling - softness * std::log1p(std::expm1(ceiling / softness) * std::exp(-x / softness));
}

}  // namespace

NcclRingSearch nccl_ring_search(double busbw_bytes_per_s, bool one_host) {
  const double bw = busbw_bytes_per_s / kGBps;
  const double* speeds = one_host ? kSm90SpeedsIntra : kSm90SpeedsInter;
  const std::size_t count = one_host ? std::size(kSm90SpeedsIntra) : std::size(kSm90SpeedsInter);
  std::size_t i = 0;
  while (i + 1 < count && speeds[i] > bw) ++i;
  int best_channels = 0;
  double best_speed = 0;
  for (; i < count; ++i) {
    const int channels = std::min(kMaxSearchChannels, static_cast<int>(bw / speeds[i]));
    if (channels * speeds[i] > best_channels * best_speed) {
      best_channels = channels;
      best_speed = speeds[i];
    }
    if (best_channels > 0 && (i + 1 >= count || speeds[i + 1] / best_speed <= 0.49)) break;
  }
  // Nothing fits: NCCL falls back to one channel (then doubled); the bus bandwidth stays the link's.
  if (best_channels == 0) return {.channels = 2, .busbw = busbw_bytes_per_s};
  // The tuner's busBw = graph nChannels x bwIntra; ncclTopoDupChannels doubles one and halves the
  // other, so it is the search's channels x speed either way.
  const double search_busbw = best_channels * best_speed * kGBps;
  if (best_speed >= 25.0 && !(best_speed < 50.0 && best_channels > 4))
    best_channels = std::min(2 * best_channels, kMaxSearchChannels);
  return {.channels = 2 * best_channels, .busbw = search_busbw};  // ncclTopoPostset doubles the channels
}

int nccl_channels_used(std::int64_t bytes, int protocol, int channels, int ranks, bool ring) {
  const std::int64_t per_channel =
      kThreads[protocol] * kThreadThreshold[protocol] * (ring && protocol == 0 ? ranks : 1);
  int used = std::max(channels, 1);
  while (used > 1 && bytes < used * per_channel) --used;
  return used;
}

int nccl_ring_channels(double busbw_bytes_per_s, bool one_host) {
  return nccl_ring_search(busbw_bytes_per_s, one_host).channels;
}

double ring_simple_pipeline_algbw(const RingPipelineInputs& in, double bytes) {
  const double max_algbw = in.busbw * in.gpus / in.nsteps;
  if (bytes <= 0) return max_algbw;
  const auto message = static_cast<std::int64_t>(std::ceil(bytes));
  const int channels = nccl_channels_used(message, kSimple, in.channels, in.gpus, true);
  const double channel_bw = in.busbw / in.channels;

  const std::int64_t channel_bytes = div_up(message, channels);
  // A share shorter than one loop (n chunks) is cut into n chunks (runRing in all_reduce.h, all_gather.h).
  const std::int64_t chunk = std::min(kChunkBytes, div_up(channel_bytes, in.gpus));
  const std::int64_t chunk_elements = div_up(chunk, kElementBytes);
  const std::int64_t slice_elements =
      std::max(div_up(chunk_elements, 16 * 2) * 16, kNominalSliceBytes / kElementBytes / 32);
  const std::int64_t slice = std::min(chunk, slice_elements * kElementBytes);
  std::int64_t slices = div_up(div_up(channel_bytes, slice) * in.nsteps, in.gpus);
  if (in.allreduce && in.gpus > 2 && slices > 1) --slices;

  const double slice_s = static_cast<double>(slice) / channel_bw;
  const double first = (in.nsteps - in.inter_steps) * (0.5 * in.intra_latency_s + slice_s) +
                       in.inter_steps * (0.5 * in.inter_latency_s + slice_s);
  const double channel_s = first + static_cast<double>(slices - 1) * slice_s;
  const double channel_algbw = static_cast<double>(channel_bytes) / channel_s;
  return soft_min(channel_algbw * channels, max_algbw, kSoftness * max_algbw);
}

}  // namespace kvsim
