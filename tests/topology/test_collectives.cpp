// All-reduce, all-gather and send/recv times against hand arithmetic, the ring/tree choice, and
// measured NCCL data overriding the model. Run: ctest --test-dir build -R topology
#include <cmath>
#include <limits>
#include <vector>

#include "sim/core/input_error.h"
#include "sim/topology/ring_pipeline.h"
#include "sim/topology/topology.h"
#include "tests/support/catch.h"
#include "tests/topology/topology_test_util.h"

using kvsim::make_topology;

using kvsim::testing::GB;
using kvsim::testing::iota;
using kvsim::testing::us;

// NCCL's tuner model (collectives.cpp): baseLat + nsteps hop latencies + bytes / algbw,
// with NVLink rated 20.6 / 25 of the graph's 450 GB/s = 370.8 GB/s, and busbw what NCCL's ring search
// makes of that: the most channels of one sm90 speed step, 6 x 60 = 360 GB/s (NCCL 2.28.3 prints
// 360.0 for Ring/Simple on 2 x H200: calibration/profiles/h200/raw/run8-h200x2-nccl-tuning/). It picks
// the protocol; a ring/Simple then takes the same latency + bytes / (its slice pipeline's algbw, the
// pipeline run without hop latencies: they are in the latency). No profile here, so no issue time.
constexpr double kNcclNvlink = 450 * GB * 20.6 / 25;
constexpr double kNcclRingBusbw = 6 * 60 * GB;

TEST_CASE("hgx-h200-8 all-reduce of 64 MiB: ring/Simple, 8.4 + 14 x 3.4 us + 14/8 * bytes / 360 GB/s") {
  const auto t = make_topology("hgx-h200-8", "s.json", "/topology");
  const auto cost = t.group_cost(iota(0, 8));
  CHECK(cost.ring.bandwidth_bytes_per_s == Approx(450 * GB));  // graph bottleneck: datasheet
  CHECK(cost.nccl.busbw == Approx(kNcclRingBusbw));  // NCCL's ring search over its 370.8 GB/s rating
  CHECK(cost.nccl.ll128);
  const std::int64_t bytes = 64LL << 20;
  const double latency = (8.4 + 14 * 3.4) * us;
  const double expected = latency + 14.0 / 8 * static_cast<double>(bytes) / kNcclRingBusbw;
  const kvsim::NcclChoice choice = cost.allreduce_choice(bytes);
  CHECK(choice.algorithm == kvsim::NcclAlgorithm::ring);
  CHECK(choice.protocol == kvsim::NcclProtocol::simple);
  CHECK(cost.nccl_tuner_allreduce_s(bytes, kvsim::NcclAlgorithm::ring, kvsim::NcclProtocol::simple) ==
        Approx(expected));
  CHECK(cost.nccl.channels == 24);  // NCCL's search: 6 x 60 GB/s -> 12 x 30 -> doubled for the communicator
  const kvsim::RingPipelineInputs in{.busbw = kNcclRingBusbw, .channels = 24, .gpus = 8, .nsteps = 14};
  const double pipelined = kvsim::ring_simple_pipeline_algbw(in, static_cast<double>(bytes));
  CHECK(pipelined < kNcclRingBusbw * 8 / 14);
  CHECK(pipelined > 0.6 * kNcclRingBusbw * 8 / 14);  // 64 MiB over 24 channels: 65% of the ceiling
  CHECK(t.allreduce_s(bytes, iota(0, 8)) == Approx(latency + static_cast<double>(bytes) / pipelined));
  CHECK(choice.channels == 24);
  CHECK(choice.issue_seconds == 0.0);
  CHECK(choice.seconds == Approx(choice.gpu_seconds));
  // LL128 at the same size: 14 + 14 x 1.9 us, 0.92 of the bandwidth; slower here.
  const double ll128 = (14 + 14 * 1.9) * us + 14.0 / 8 * static_cast<double>(bytes) / (0.92 * kNcclRingBusbw);
  CHECK(cost.nccl_allreduce_s(bytes, kvsim::NcclAlgorithm::ring, kvsim::NcclProtocol::ll128) == Approx(ll128));
  // Single host: no tree, so the ring is the answer.
  CHECK_FALSE(cost.has_tree);
  CHECK(cost.tree_allreduce_s(bytes) == std::numeric_limits<double>::infinity());
  CHECK(t.allreduce_s(0, iota(0, 8)) == 0.0);
}

TEST_CASE("TP=2 all-reduce of 1 MiB on hgx: ring/LL, 6.6 + 2 x 0.6 us + bytes / 141 GB/s (LL cap)") {
  const auto t = make_topology("hgx-h200-8", "s.json", "/topology");
  const std::vector<int> pair{2, 3};
  const std::int64_t bytes = 1 << 20;
  const auto choice = t.group_cost(pair).allreduce_choice(bytes);
  CHECK(choice.protocol == kvsim::NcclProtocol::ll);
  CHECK(t.allreduce_s(bytes, pair) == Approx((6.6 + 2 * 0.6) * us + static_cast<double>(bytes) / (141 * GB)));
}

TEST_CASE("all-gather on PCIe: no LL128, Simple hops scaled 5.7 / 1.0 from the graph's LL latency") {
  const auto t = make_topology("pcie-2socket-8", "s.json", "/topology");
  const auto cost = t.group_cost(iota(0, 8));
  CHECK_FALSE(cost.nccl.ll128);
  CHECK(cost.nccl.busbw == Approx(60 * GB));  // PCIe keeps the graph's 64 GB/s; the search: 1 x 60
  const std::int64_t total = 8LL << 20;
  // Mean hop 13/8 us (test_ring_bandwidth.cpp), 7 steps, Simple: x 5.7.
  // The tuner's Simple estimate would be 8.4 + 7 x (13/8) x 5.7 us + 7/8 * bytes / 60 GB/s; Simple
  // then moves its bytes at its slice pipeline's rate: 4 channels (1 x 60 GB/s -> 2 -> 4).
  CHECK(cost.nccl.channels == 4);
  const kvsim::RingPipelineInputs in{.busbw = 60 * GB, .channels = 4, .gpus = 8, .nsteps = 7, .allreduce = false};
  const double algbw = kvsim::ring_simple_pipeline_algbw(in, static_cast<double>(total));
  CHECK(algbw < 60 * GB * 8 / 7);
  const double latency = (8.4 + 7 * (13.0 / 8) * 5.7) * us;
  CHECK(t.allgather_s(total, iota(0, 8)) == Approx(latency + static_cast<double>(total) / algbw));
}

TEST_CASE("send/recv: path latency + bytes / path bandwidth, across nodes over one NIC") {
  const auto t = make_topology("ib-2node-hgx", "s.json", "/topology");
  const std::int64_t bytes = 1000000;
  CHECK(t.sendrecv_s(bytes, 0, 8) == Approx(4.7 * us + 1e6 / (50 * GB)));
  CHECK(t.sendrecv_s(bytes, 0, 1) == Approx(0.6 * us + 1e6 / (450 * GB)));
  CHECK(t.sendrecv_s(bytes, 8, 0) == Approx(t.sendrecv_s(bytes, 0, 8)));
}

TEST_CASE("two nodes: tree/LL for small messages, ring/Simple for large ones") {
  const auto t = make_topology("ib-2node-hgx", "s.json", "/topology");
  const auto group = iota(0, 16);
  const auto cost = t.group_cost(group);
  REQUIRE(cost.has_tree);
  // Graph tree hops: 2 * ((8 - 1) * 0.6 + ceil(log2 2) * 4.7) = 17.8 us.
  CHECK(cost.tree_latency_s == Approx(17.8 * us));
  // NVLink (rated 370.8) is below 8 rails x 50 GB/s; NCCL's search (network speed array): 8 x 45.
  CHECK(cost.nccl.busbw == Approx(360 * GB));
  // Tree/LL at 1 KiB: 6.8 + 2 * (7 * 0.6 + 1 * 4.7 * 5.0 / 2.7) us; busbw min(360 * 0.92 / 3.8,
  // 39) = 39 GB/s (2-node LL cap), algbw half of it, times treeCorrectionFactor[LL][4] = 0.9.
  const std::int64_t small = 1024;
  const double tree = (6.8 + 2 * (7 * 0.6 + 4.7 * 5.0 / 2.7)) * us + small / (39 * GB * 0.5 * 0.9);
  const auto small_choice = cost.allreduce_choice(small);
  CHECK(small_choice.algorithm == kvsim::NcclAlgorithm::tree);
  CHECK(small_choice.protocol == kvsim::NcclProtocol::ll);
  CHECK(t.allreduce_s(small, group) == Approx(tree));
  // Ring/Simple at 1 GiB: 28 intra steps of max(3.4, 3 x 1 us net overhead), 2 inter steps of
  // 4.7 x 14 / 2.7, plus 8.4 base, all x 1.4 (plateau); 30/16 * bytes / 360 GB/s.
  const std::int64_t large = 1LL << 30;
  const double ring = 1.4 * (8.4 + 28 * 3.4 + 2 * 4.7 * 14.0 / 2.7) * us +
                      30.0 / 16 * static_cast<double>(large) / (360 * GB);
  const auto large_choice = cost.allreduce_choice(large);
  CHECK(large_choice.algorithm == kvsim::NcclAlgorithm::ring);
  CHECK(large_choice.protocol == kvsim::NcclProtocol::simple);
  CHECK(cost.nccl_tuner_allreduce_s(large, kvsim::NcclAlgorithm::ring, kvsim::NcclProtocol::simple) ==
        Approx(ring));
  // It then moves the bytes at the slice pipeline's rate after the same latency.
  const kvsim::RingPipelineInputs in{.busbw = 360 * GB, .channels = cost.nccl.channels, .gpus = 16, .nsteps = 30,
                                     .inter_steps = 2};
  const double algbw = kvsim::ring_simple_pipeline_algbw(in, static_cast<double>(large));
  const double ring_latency = 1.4 * (8.4 + 28 * 3.4 + 2 * 4.7 * 14.0 / 2.7) * us;
  CHECK(t.allreduce_s(large, group) == Approx(ring_latency + static_cast<double>(large) / algbw));
  CHECK(cost.tree_allreduce_s(large) > ring);  // the tuner (linear model) prefers the ring
}

TEST_CASE("measured all-reduce takes precedence and is exact at its points") {
  auto t = make_topology("hgx-h200-8", "s.json", "/topology");
  const kvsim::MeasuredCurve curve{{1024, 10 * us}, {1 << 20, 20 * us}, {1 << 30, 2000 * us}};
  t.set_measured_allreduce(8, curve);
  const auto group = iota(0, 8);
  for (const auto& [bytes, seconds] : curve) CHECK(t.allreduce_s(bytes, group) == Approx(seconds));
  // Log-log midpoint of (2^10, 10 us) and (2^20, 20 us) is (2^15, sqrt(10 * 20) us).
  CHECK(t.allreduce_s(1 << 15, group) == Approx(std::sqrt(200.0) * us));
  CHECK(t.allreduce_s(16, group) == Approx(10 * us));  // below the first point: clamped
  const double slope = (2000 - 20) * us / static_cast<double>((1 << 30) - (1 << 20));
  CHECK(t.allreduce_s(1LL << 31, group) == Approx(2000 * us + slope * static_cast<double>(1LL << 30)));
  // Other group sizes keep the model: 4 GPUs, 1 MiB, ring/LL: 6.6 + 6 x 0.6 us + 6/4 * bytes / 141 GB/s.
  const std::vector<int> four = iota(0, 4);
  CHECK(t.allreduce_s(1 << 20, four) == Approx((6.6 + 6 * 0.6) * us + 1.5 * (1 << 20) / (141 * GB)));
}

TEST_CASE("measured data keyed by exact shape beats the any-hosts key") {
  auto t = make_topology("ib-2node-hgx", "s.json", "/topology");
  t.set_measured_allreduce(8, {{1 << 20, 30 * us}});
  t.set_measured_allreduce(kvsim::GroupShape{.gpus = 8, .hosts = 2}, {{1 << 20, 90 * us}});
  const std::vector<int> inside{0, 1, 2, 3, 4, 5, 6, 7};
  const std::vector<int> spanning{0, 1, 2, 3, 8, 9, 10, 11};
  CHECK(t.allreduce_s(1 << 20, inside) == Approx(30 * us));
  CHECK(t.allreduce_s(1 << 20, spanning) == Approx(90 * us));
  CHECK(t.allreduce_s(1 << 21, inside) == Approx(60 * us));  // one point: scales with bytes beyond it
}

TEST_CASE("measured points must be increasing in bytes and positive in time") {
  auto t = make_topology("hgx-h200-8", "s.json", "/topology");
  bool thrown = false;
  try {
    t.set_measured_allreduce(8, {{4096, 1e-5}, {1024, 2e-5}}, "prof.json", "/nccl/allreduce/8");
  } catch (const kvsim::InputError& e) {
    thrown = true;
    CHECK(std::string(e.what()).find("prof.json: /nccl/allreduce/8/1: expected bytes > 0") != std::string::npos);
  }
  CHECK(thrown);
  CHECK_THROWS_AS(t.set_measured_allreduce(8, {{4096, -1.0}}), kvsim::InputError);
  CHECK_THROWS_AS(t.set_measured_allreduce(8, {}), kvsim::InputError);
  CHECK_THROWS_AS(t.set_measured_allreduce(9, {{4096, 1e-5}}), kvsim::InputError);
}

TEST_CASE("group errors are programming errors, not input errors") {
  const auto t = make_topology("hgx-h200-8", "s.json", "/topology");
  const std::vector<int> repeated{0, 1, 1};
  const std::vector<int> outside{0, 8};
  CHECK_THROWS_AS(t.ring(repeated), std::invalid_argument);
  CHECK_THROWS_AS(t.ring(outside), std::out_of_range);
  CHECK_THROWS_AS(t.sendrecv_s(10, 0, 9), std::out_of_range);
}

TEST_CASE("LL runs on fewer channels for small messages: NCCL's thread-threshold rule") {
  // 2 ranks, 24 channels: ring LL keeps a channel per 512 threads x 8 B x 2 ranks = 8 KiB. NCCL 2.28.3
  // logged 1, 2, 4, 8, 16 channels at 8, 16, 32, 64, 128 KiB (raw/run8-h200x2-nccl-tuning).
  const int ll = static_cast<int>(kvsim::NcclProtocol::ll), simple = static_cast<int>(kvsim::NcclProtocol::simple);
  CHECK(kvsim::nccl_channels_used(1024, ll, 24, 2, true) == 1);
  CHECK(kvsim::nccl_channels_used(8 << 10, ll, 24, 2, true) == 1);
  CHECK(kvsim::nccl_channels_used(16 << 10, ll, 24, 2, true) == 2);
  CHECK(kvsim::nccl_channels_used(32 << 10, ll, 24, 2, true) == 4);
  CHECK(kvsim::nccl_channels_used(128 << 10, ll, 24, 2, true) == 16);
  CHECK(kvsim::nccl_channels_used(1 << 20, ll, 24, 2, true) == 24);
  CHECK(kvsim::nccl_channels_used(16 << 10, ll, 24, 2, false) == 4);  // tree LL: no x ranks
  // Simple: a channel per 512 x 64 B = 32 KiB.
  CHECK(kvsim::nccl_channels_used(64 << 10, simple, 24, 8, true) == 2);
  CHECK(kvsim::nccl_channels_used(2 << 20, simple, 24, 8, true) == 24);
}

TEST_CASE("calls issued back to back take the longer of the GPUs' time and the host's issue time") {
  auto t = make_topology(nlohmann::json{{"preset", "nvlink-2"}, {"collective_issue", "one_thread"}}, "s.json",
                         "/topology");
  CHECK(t.issue_mode() == kvsim::IssueMode::one_thread);
  t.set_collective_issue({.per_gpu_s = 6 * us, .per_gpu_channel_s = 0.05 * us});
  const auto pair = iota(0, 2);
  // 1 KiB, ring/LL on 1 channel: GPUs 7.8 us + 1 KiB / 141 GB/s; the thread issues on both GPUs,
  // 2 x (6 + 0.05) = 12.1 us, and sets the pace.
  const kvsim::NcclChoice small = t.group_cost(pair).allreduce_choice(1024);
  CHECK(small.channels == 1);
  CHECK(small.gpu_seconds == Approx(7.8 * us + 1024 / (141 * GB)));
  CHECK(small.issue_seconds == Approx(12.1 * us));
  CHECK(small.seconds == Approx(12.1 * us));
  CHECK(t.allreduce_s(1024, pair) == Approx(12.1 * us));
  // 64 MiB, ring/Simple on 24 channels: issue 2 x (6 + 1.2) = 14.4 us, far below the GPUs' time.
  const kvsim::NcclChoice large = t.group_cost(pair).allreduce_choice(64 << 20);
  CHECK(large.issue_seconds == Approx(14.4 * us));
  CHECK(large.seconds == Approx(large.gpu_seconds));
  CHECK(large.gpu_seconds > 150 * us);
  // A thread per GPU issues only its own: 6.05 us, below the GPUs' 7.8 us.
  t.set_issue_mode(kvsim::IssueMode::thread_per_gpu);
  const kvsim::NcclChoice own = t.group_cost(pair).allreduce_choice(1024);
  CHECK(own.issue_seconds == Approx(6.05 * us));
  CHECK(own.seconds == Approx(own.gpu_seconds));
  // Measured data still takes precedence over both.
  t.set_measured_allreduce(2, {{1024, 20 * us}});
  CHECK(t.allreduce_s(1024, pair) == Approx(20 * us));
}
