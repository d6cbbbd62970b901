// Google Benchmark of the kvsim CUDA kernels on one GPU, with the device-to-device copy bandwidth
// measured in the same run as the yardstick (bytes read + written). Timing: CUDA events around each
// iteration (UseManualTime), warm-up launches first; every working set is far larger than the
// 60 MB L2 of an H200 (the KV caches are 1-2 GB), so no iteration is served from cache.
//
//   cmake --preset gpu && cmake --build --preset gpu --target bench_kernels
//   build-gpu/calibration/kernels/bench_kernels --benchmark_out=kernels_bench.json --benchmark_out_format=json
//
// Counters: bytes_per_second (bytes the kernel must move / time) and copy_bytes_per_second (the
// bandwidth BM_CopyD2D measured first in the same process); summarize.py prints their ratio.
#include "kernels/attention/avl_sparse.h"
#include "kernels/attention/decode.h"
#include "kernels/common/device_buffer.h"
#include "kernels/reference/bf16.h"

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace kvsim::kernels {
namespace {

double g_copy_bytes_per_s = 0.0;  // set by BM_CopyD2D, read by the others

// Fills a device buffer of bf16 with random values in [-1, 1): a random 32 MB block, tiled.
void fill_random(DeviceBuffer<uint16_t>& buf, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const std::size_t block = std::min<std::size_t>(buf.size(), 16u << 20);
  std::vector<uint16_t> host(block);
  for (auto& x : host) x = ref::float_to_bf16(u(rng));
  for (std::size_t off = 0; off < buf.size(); off += block) {
    const std::size_t n = std::min(block, buf.size() - off);
    KVSIM_CUDA_CHECK(cudaMemcpy(buf.data() + off, host.data(), n * sizeof(uint16_t), cudaMemcpyHostToDevice));
  }
}

__nv_bfloat16* bf(DeviceBuffer<uint16_t>& b) { return reinterpret_cast<__nv_bfloat16*>(b.data()); }

// Times `launch` with events per iteration after `warmup` untimed calls.
template <class Launch>
void time_loop(benchmark::State& state, Launch launch, double bytes, int warmup = 3) {
  cudaEvent_t start, stop;
  KVSIM_CUDA_CHECK(cudaEventCreate(&start));
  KVSIM_CUDA_CHECK(cudaEventCreate(&stop));
  for (int i = 0; i < warmup; ++i) launch();
  KVSIM_CUDA_CHECK(cudaDeviceSynchronize());
  for (auto _ : state) {
    KVSIM_CUDA_CHECK(cudaEventRecord(start));
    launch();
    KVSIM_CUDA_CHECK(cudaEventRecord(stop));
    KVSIM_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0.0f;
    KVSIM_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(ms * 1e-3);
  }
  KVSIM_CUDA_CHECK(cudaEventDestroy(start));
  KVSIM_CUDA_CHECK(cudaEventDestroy(stop));
  state.counters["bytes_per_second"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes"] = bytes;
}

void BM_CopyD2D(benchmark::State& state) {
  const std::size_t bytes = std::size_t{2} << 30;  // 2 GiB each way
  DeviceBuffer<uint16_t> src(bytes / 2), dst(bytes / 2);
  fill_random(src, 1);
  double total_s = 0.0;
  int64_t iters = 0;
  cudaEvent_t start, stop;
  KVSIM_CUDA_CHECK(cudaEventCreate(&start));
  KVSIM_CUDA_CHECK(cudaEventCreate(&stop));
  for (int i = 0; i < 3; ++i) KVSIM_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src.data(), bytes, cudaMemcpyDeviceToDevice));
  for (auto _ : state) {
    KVSIM_CUDA_CHECK(cudaEventRecord(start));
    KVSIM_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src.data(), bytes, cudaMemcpyDeviceToDevice));
    KVSIM_CUDA_CHECK(cudaEventRecord(stop));
    KVSIM_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0.0f;
    KVSIM_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(ms * 1e-3);
    total_s += ms * 1e-3;
    ++iters;
  }
  KVSIM_CUDA_CHECK(cudaEventDestroy(start));
  KVSIM_CUDA_CHECK(cudaEventDestroy(stop));
  const double moved = 2.0 * static_cast<double>(bytes);  // read + write
  g_copy_bytes_per_s = iters > 0 ? moved * static_cast<double>(iters) / total_s : 0.0;
  state.counters["bytes_per_second"] = benchmark::Counter(moved, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes"] = moved;
}

// A cache of B x Hkv segments with the given lengths, random contents, and a ready plan.
struct DecodeSetup {
  int B, Hkv, G, D;
  std::vector<int32_t> lengths;
  SegmentTable table;
  DeviceBuffer<uint16_t> k, v, q, out;
  DeviceBuffer<int64_t> offset;
  DeviceBuffer<int32_t> capacity, length;
  DecodePlan plan;
  DeviceBuffer<uint8_t> workspace;

  DecodeSetup(int b, int hkv, int g, int d, std::vector<int32_t> lens)
      : B(b), Hkv(hkv), G(g), D(d), lengths(std::move(lens)), table(SegmentTable::build(lengths, 0)),
        k(static_cast<std::size_t>(table.pool_rows) * d), v(k.size()),
        q(static_cast<std::size_t>(b) * hkv * g * d), out(q.size()), offset(std::span<const int64_t>(table.offset)),
        capacity(std::span<const int32_t>(table.capacity)), length(std::span<const int32_t>(lengths)),
        plan(decode_schedule_config_for_device(d)) {
    fill_random(k, 2);
    fill_random(v, 3);
    fill_random(q, 4);
  }
  KvCacheView view() {
    return {bf(k), bf(v), offset.data(), capacity.data(), length.data(), B, Hkv, D};
  }
  int64_t tokens() const { return std::accumulate(lengths.begin(), lengths.end(), int64_t{0}); }
  double bytes_moved(int64_t attended_tokens) const {
    return static_cast<double>(attended_tokens) * 2.0 * D * 2.0 + 2.0 * static_cast<double>(q.size()) * 2.0;
  }
};

// The copy bandwidth of this run, beside each kernel's own rate; summarize.py takes the ratio.
void record_copy_bandwidth(benchmark::State& state) { state.counters["copy_bytes_per_second"] = g_copy_bytes_per_s; }

// Decode at batch 64 x 8 kv heads x mean 4096 tokens, group G, head_dim 128 (LLaMA-3-70B shapes),
// uniform lengths or one head per request 100x the others (same mean), with schedule config `cfg`.
void decode_case(benchmark::State& state, bool skewed, int G, const DecodeScheduleConfig& cfg) {
  const int B = 64, Hkv = 8, D = 128, mean = 4096;
  std::vector<int32_t> lengths(B * Hkv, mean);
  if (skewed) {
    const int small = mean * Hkv / (Hkv - 1 + 100);
    for (int b = 0; b < B; ++b)
      for (int h = 0; h < Hkv; ++h) lengths[b * Hkv + h] = h == b % Hkv ? 100 * small : small;
  }
  DecodeSetup s(B, Hkv, G, D, lengths);
  s.plan = DecodePlan(cfg);
  s.plan.update(s.lengths, 1, B * Hkv);
  const DecodeParams p{.q = bf(s.q), .cache = s.view(), .plan = &s.plan, .layer = 0, .group_size = G,
                       .out = bf(s.out)};
  if (!supported(p)) {
    state.SkipWithError(supported(p).why.c_str());
    return;
  }
  s.workspace.resize(std::max<std::size_t>(workspace_bytes(p), 1));
  const double bytes = s.bytes_moved(s.tokens());
  time_loop(state, [&] { run(p, s.workspace.data(), nullptr); }, bytes);
  record_copy_bandwidth(state);
  state.counters["work_items"] = s.plan.layer(0).num_items;
  state.counters["merge"] = s.plan.layer(0).needs_merge ? 1 : 0;
  state.counters["tokens"] = static_cast<double>(s.tokens());
  state.SetLabel(skewed ? "skew100" : "uniform");
}

// The default schedule for this device. range(0): 0 = uniform, 1 = skewed; range(1): group size.
void BM_Decode(benchmark::State& state) {
  decode_case(state, state.range(0) == 1, static_cast<int>(state.range(1)), decode_schedule_config_for_device(128));
}

// Schedule variants at group 8: range(1) = 0 the default; 1, 2, 3: always split into about
// 4, 2, 8 waves of CTAs (prefer_direct off; 1 is the schedule of the 2026-11-29 runs).
void BM_DecodeSchedule(benchmark::State& state) {
  DecodeScheduleConfig cfg = decode_schedule_config_for_device(128);
  const int mode = static_cast<int>(state.range(1));
  if (mode != 0) {
    cfg.prefer_direct = false;
    cfg.waves = mode == 1 ? 4 : mode == 2 ? 2 : 8;
  }
  decode_case(state, state.range(0) == 1, 8, cfg);
}

// Host cost of re-planning one decode step for 80 layers (LLaMA-3-70B) at batch 64 x 8 kv heads.
void BM_DecodePlanUpdate(benchmark::State& state) {
  std::vector<int32_t> lengths(80 * 64 * 8);
  std::mt19937 rng(5);
  for (auto& n : lengths) n = 256 + static_cast<int32_t>(rng() % 8000);
  DecodePlan plan(decode_schedule_config_for_device(128));
  for (auto _ : state) {
    plan.update(lengths, 80, 64 * 8);
    KVSIM_CUDA_CHECK(cudaDeviceSynchronize());
  }
}

// A-VL sparse decode, LLaVA-NeXT-like: batch 64, 32 kv heads (MHA), head_dim 128, prefix 35,
// 1440 secondary image tokens, 200 text tokens; core = range(0) percent of the secondary tokens.
// bytes_per_second counts only the rows the kernel reads (prefix + core + text).
void BM_AvlSparse(benchmark::State& state) {
  const int B = 64, Hkv = 32, G = 1, D = 128;
  const int prefix = 35, secondary = 1440, text = 200;
  const int core = secondary * static_cast<int>(state.range(0)) / 100;
  std::vector<int32_t> lengths(B * Hkv, prefix + secondary + text);
  DecodeSetup s(B, Hkv, G, D, lengths);
  std::mt19937 rng(6);
  std::vector<AvlRequest> reqs;
  std::vector<int32_t> core_idx;
  for (int b = 0; b < B; ++b) {
    std::vector<int32_t> all(secondary);
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(core);
    std::sort(all.begin(), all.end());
    reqs.push_back({prefix, secondary, core, static_cast<int32_t>(core_idx.size())});
    core_idx.insert(core_idx.end(), all.begin(), all.end());
  }
  core_idx.push_back(0);
  DeviceBuffer<AvlRequest> dreqs{std::span<const AvlRequest>(reqs)};
  DeviceBuffer<int32_t> dcore{std::span<const int32_t>(core_idx)};
  std::vector<int32_t> sparse(B * Hkv, prefix + core + text);
  s.plan.update(sparse, 1, B * Hkv);
  const AvlSparseParams p{.q = bf(s.q), .cache = s.view(), .requests = dreqs.data(), .core_idx = dcore.data(),
                          .plan = &s.plan, .layer = 0, .group_size = G, .out = bf(s.out)};
  if (!supported(p)) {
    state.SkipWithError(supported(p).why.c_str());
    return;
  }
  s.workspace.resize(std::max<std::size_t>(workspace_bytes(p), 1));
  const double bytes = s.bytes_moved(int64_t{B} * Hkv * (prefix + core + text));
  time_loop(state, [&] { run(p, s.workspace.data(), nullptr); }, bytes);
  record_copy_bandwidth(state);
  state.counters["tokens_per_segment"] = prefix + core + text;
}

}  // namespace
}  // namespace kvsim::kernels

using kvsim::kernels::BM_AvlSparse;
using kvsim::kernels::BM_CopyD2D;
using kvsim::kernels::BM_Decode;
using kvsim::kernels::BM_DecodePlanUpdate;
using kvsim::kernels::BM_DecodeSchedule;

BENCHMARK(BM_CopyD2D)->UseManualTime()->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_Decode)
    ->ArgNames({"skewed", "group"})
    ->Args({0, 8})
    ->Args({1, 8})
    ->Args({0, 4})
    ->Args({0, 1})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(0.5);
BENCHMARK(BM_DecodeSchedule)
    ->ArgNames({"skewed", "mode"})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({0, 2})
    ->Args({0, 3})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({1, 3})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(0.5);
BENCHMARK(BM_AvlSparse)
    ->ArgName("core_pct")
    ->Arg(10)
    ->Arg(30)
    ->Arg(60)
    ->Arg(100)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(0.5);
BENCHMARK(BM_DecodePlanUpdate)->Unit(benchmark::kMicrosecond)->MinTime(0.3);

BENCHMARK_MAIN();
