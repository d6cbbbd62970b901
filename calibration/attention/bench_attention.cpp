// Google Benchmark grids of the kernels/ attention and KV-cache kernels, for the calibration of
// OpCosts::decode_attention_s (and the A-VL, append and compression costs recorded in the profile).
// calibration/kernels/bench_kernels.cpp (the kernels' own benchmark) times a few fixed shapes against
// the copy bandwidth; this program sweeps the grids the fitter interpolates over, through the same
// public kernel API (supported / workspace_bytes / run).
//
//   decode       requests B in {1,2,4,...,256} x mean tokens per segment L in {128,256,...,32768} x group
//                {1,4,8}; 2 kv heads per GPU, head_dim 128; plus lognormal-skewed lengths (skew:1)
//                that the fitter keeps out of the grid and reports as a check of "time follows
//                total KV rows"
//   avl_sparse   LLaVA-NeXT-like segments (prefix 35, 2880 secondary = 5 tiles of 576, 200 text):
//                segments S = requests x 4 kv heads, requests in {1,...,256} (steps of x1.5 / x1.33)
//                x attended rows per segment (prefix + core + text) in {256, 362, ..., 2896}
//                (sqrt(2) steps); group 1
//   kv_append    one decode token into B x 8 segments
//   kv_compress  prefill-end window scores (window 32, group 8) + top-k compaction (budget 1/4) of
//                B prompts of n tokens, 8 kv heads: segments S = B x 8, B in {1,...,32} (steps of
//                x1.5 / x1.33) x n in {512,...,32768} (sqrt(2) steps)
// Inputs are random bf16 slices of one large buffer, rotated so the working set exceeds the L2.
// decode is called exactly as the runtime calls it (kernels/runtime/decoder_layers.cpp): queries
// read in place from rows of a fused QKV projection output (row stride q | k | v = (kv_heads * group
// + 2 * kv_heads) * head_dim, q_row = b), outputs written to rows of the attention buffer
// (out_row_stride = kv_heads * group * head_dim), row_kv_heads = kv_heads, zero_empty = true, one
// DecodePlan of decode_schedule_config_for_device(head_dim). avl_sparse (same split-KV kernel, rows
// read through the index list) keeps packed q and out: the runtime does not run it yet.
//
//   build-gpu/calibration/attention/bench_attention --benchmark_out=attention.json --benchmark_out_format=json
//
// Counters: requests, kv_tokens (rows the launch attends over), group, head_dim, bytes, seconds;
// avl_sparse and kv_compress also segments (requests x kv heads), kv_compress prompt_tokens, window
// and wave_keys (prompt keys one wave of resident window-score CTAs covers, kernels::wave_keys).
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <numeric>
#include <random>

#include "calibration/common/bench_util.h"
#include "kernels/attention/avl_sparse.h"
#include "kernels/attention/decode.h"
#include "kernels/compress/select_compact.h"
#include "kernels/compress/window_scores.h"
#include "kernels/kv_cache/append.h"

namespace kvsim::calib {
namespace {

using bf16 = __nv_bfloat16;
using kernels::DeviceBuffer;
constexpr int kD = 128;

RandomArena& arena() {  // 20 GiB of random bf16: K and V pools of up to 40M rows
  static RandomArena a(std::size_t{10} << 30, 21);
  return a;
}

// One layer's cache over `lengths` (one per segment), rotated over several pool copies.
struct CacheSets {
  kernels::SegmentTable table;
  DeviceBuffer<int64_t> offset;
  DeviceBuffer<int32_t> capacity, length;
  std::vector<kernels::KvCacheView> views;

  CacheSets(int requests, int kv_heads, const std::vector<int32_t>& lengths, int32_t headroom = 0)
      : table(kernels::SegmentTable::build(lengths, headroom)), offset(std::span<const int64_t>(table.offset)),
        capacity(std::span<const int32_t>(table.capacity)), length(std::span<const int32_t>(lengths)) {
    const std::size_t pool = static_cast<std::size_t>(table.pool_rows) * kD;
    const int sets = rotation_sets(2.0 * 2.0 * static_cast<double>(pool), 32);
    const std::size_t half = arena().size() / 2;
    if (pool > half) throw std::invalid_argument("cache larger than the benchmark arena");
    for (int s = 0; s < sets; ++s) {
      bf16* k = arena().at(static_cast<std::size_t>(s) * (pool + 4096), pool);
      bf16* v = arena().at(half + static_cast<std::size_t>(s) * (pool + 4096), pool);
      views.push_back({k, v, offset.data(), capacity.data(), length.data(), requests, kv_heads, kD});
    }
  }
};

// The runtime's row mapping on p (DecodeParams or AvlSparseParams): request b's query is row b of a
// fused QKV output (row stride q | k | v), its output row b of the attention buffer (packed q heads).
struct RuntimeRows {
  DeviceBuffer<int32_t> q_row;
  int64_t q_stride, out_stride;
  RuntimeRows(int requests, int kv_heads, int group)
      : q_row(identity(requests)), q_stride(int64_t{kv_heads} * (group + 2) * kD),
        out_stride(int64_t{kv_heads} * group * kD) {}
  static std::vector<int32_t> identity(int n) {
    std::vector<int32_t> v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
  }
  std::size_t q_elems(int requests) const { return static_cast<std::size_t>(requests) * static_cast<std::size_t>(q_stride); }
  void apply(kernels::DecodeParams& p, int kv_heads) const {
    p.q_row = q_row.data();
    p.q_row_stride = q_stride;
    p.out_row_stride = out_stride;
    p.row_kv_heads = kv_heads;
    p.zero_empty = true;
  }
};

// Seconds per launch of a kernel with one Params struct (decode, A-VL sparse) over the rotating K/V
// sets of `cache`, after checking it is supported and sizing its workspace.
template <class Params>
double time_over_cache_sets(Params& p, const CacheSets& cache, DeviceBuffer<uint8_t>& workspace) {
  if (auto s = kernels::supported(p); !s) throw std::invalid_argument(s.why);
  workspace.resize(std::max<std::size_t>(kernels::workspace_bytes(p), 1));
  return time_launches(
      [&](int i) {
        p.cache = cache.views[static_cast<std::size_t>(i) % cache.views.size()];
        kernels::run(p, workspace.data(), stream());
      },
      stream());
}

void fail(benchmark::State& state, const std::exception& e) { state.SkipWithError(e.what()); }

// range: requests, mean length, group, skew (0 uniform; 1 lognormal sigma 1 across segments).
void bm_decode(benchmark::State& state, int requests, int mean_len, int group, int skew) try {
  const int kv_heads = 2, segs = requests * kv_heads;
  std::vector<int32_t> lengths(static_cast<std::size_t>(segs), mean_len);
  if (skew != 0) {
    std::mt19937 rng(static_cast<unsigned>(requests * 31 + mean_len));
    std::lognormal_distribution<double> ln(0.0, 1.0);
    std::vector<double> w(lengths.size());
    for (double& x : w) x = ln(rng);
    const double sum = std::accumulate(w.begin(), w.end(), 0.0);
    for (std::size_t i = 0; i < w.size(); ++i)
      lengths[i] = std::max(1, static_cast<int32_t>(std::lround(w[i] / sum * mean_len * segs)));
  }
  CacheSets cache(requests, kv_heads, lengths);
  kernels::DecodePlan plan(kernels::decode_schedule_config_for_device(kD));
  plan.update(lengths, 1, segs, stream());
  const std::size_t qn = static_cast<std::size_t>(segs) * group * kD;
  const RuntimeRows rows(requests, kv_heads, group);
  DeviceBuffer<bf16> out(qn);
  DeviceBuffer<uint8_t> workspace;
  kernels::DecodeParams p{.q = arena().at(7 << 20, rows.q_elems(requests)), .cache = cache.views[0], .plan = &plan,
                          .layer = 0, .group_size = group, .out = out.data()};
  rows.apply(p, kv_heads);
  const double seconds = time_over_cache_sets(p, cache, workspace);
  const double tokens = std::accumulate(lengths.begin(), lengths.end(), 0.0);
  report(state, seconds);
  state.counters["requests"] = requests;
  state.counters["kv_heads"] = kv_heads;
  state.counters["kv_tokens"] = tokens;
  state.counters["group"] = group;
  state.counters["head_dim"] = kD;
  state.counters["skew"] = skew;
  state.counters["bytes"] = tokens * 2 * kD * 2 + 2.0 * static_cast<double>(qn) * 2;
} catch (const std::exception& e) {
  fail(state, e);
}

// range: requests, attended rows per segment (prefix + core + text).
void bm_avl_sparse(benchmark::State& state, int requests, int attended) try {
  const int kv_heads = 4, prefix = 35, secondary = 2880, text = 200, core = attended - prefix - text;
  if (core < 0 || core > secondary) throw std::invalid_argument("avl_sparse: attended rows outside the segment");
  const int segs = requests * kv_heads;
  std::vector<int32_t> lengths(static_cast<std::size_t>(segs), prefix + secondary + text);
  CacheSets cache(requests, kv_heads, lengths);
  std::mt19937 rng(6);
  std::vector<kernels::AvlRequest> reqs;
  std::vector<int32_t> core_idx;
  for (int b = 0; b < requests; ++b) {
    std::vector<int32_t> all(secondary);
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(static_cast<std::size_t>(core));
    std::sort(all.begin(), all.end());
    reqs.push_back({prefix, secondary, core, static_cast<int32_t>(core_idx.size())});
    core_idx.insert(core_idx.end(), all.begin(), all.end());
  }
  core_idx.push_back(0);
  DeviceBuffer<kernels::AvlRequest> dreqs{std::span<const kernels::AvlRequest>(reqs)};
  DeviceBuffer<int32_t> dcore{std::span<const int32_t>(core_idx)};
  std::vector<int32_t> attended(static_cast<std::size_t>(segs), prefix + core + text);
  kernels::DecodePlan plan(kernels::decode_schedule_config_for_device(kD));
  plan.update(attended, 1, segs, stream());
  const std::size_t qn = static_cast<std::size_t>(segs) * kD;
  DeviceBuffer<bf16> out(qn);
  DeviceBuffer<uint8_t> workspace;
  kernels::AvlSparseParams p{.q = arena().at(9 << 20, qn), .cache = cache.views[0], .requests = dreqs.data(),
                             .core_idx = dcore.data(), .plan = &plan, .layer = 0, .group_size = 1, .out = out.data()};
  const double seconds = time_over_cache_sets(p, cache, workspace);
  const double tokens = static_cast<double>(segs) * (prefix + core + text);
  report(state, seconds);
  state.counters["requests"] = requests;
  state.counters["segments"] = segs;
  state.counters["kv_tokens"] = tokens;
  state.counters["group"] = 1;
  state.counters["head_dim"] = kD;
  state.counters["core_tokens"] = core;
  state.counters["bytes"] = tokens * 2 * kD * 2;
} catch (const std::exception& e) {
  fail(state, e);
}

void bm_append(benchmark::State& state, int requests) try {
  const int kv_heads = 8, segs = requests * kv_heads;
  // Lengths stay below capacity for every timed launch: headroom covers warm-up and samples.
  std::vector<int32_t> lengths(static_cast<std::size_t>(segs), 1000);
  CacheSets cache(requests, kv_heads, lengths, 1024);
  const std::size_t n = static_cast<std::size_t>(segs) * kD;
  const int sets = rotation_sets(4.0 * static_cast<double>(n), 64);
  kernels::AppendParams p{.cache = cache.views[0]};
  std::vector<int32_t> reset(lengths);
  const double seconds = time_launches(
      [&](int i) {
        p.cache = cache.views[static_cast<std::size_t>(i) % cache.views.size()];
        p.new_k = arena().at(static_cast<std::size_t>(i % sets) * 2 * n, 2 * n);
        p.new_v = p.new_k + n;
        kernels::run(p, nullptr, stream());
      },
      stream(), TimingConfig{.max_reps = 128});
  report(state, seconds);
  state.counters["requests"] = requests;
  state.counters["segments"] = segs;
  state.counters["bytes"] = 2.0 * 2.0 * static_cast<double>(n) * 2;  // read new rows, write them
} catch (const std::exception& e) {
  fail(state, e);
}

void bm_compress(benchmark::State& state, int requests, int prompt) try {
  const int kv_heads = 8, group = 8, window = 32, segs = requests * kv_heads;
  const int64_t total = static_cast<int64_t>(requests) * prompt;
  std::vector<int32_t> cu(static_cast<std::size_t>(requests) + 1);
  for (int b = 0; b <= requests; ++b) cu[static_cast<std::size_t>(b)] = b * prompt;
  DeviceBuffer<int32_t> dcu{std::span<const int32_t>(cu)};
  const int budget = (prompt - window) / 4;
  std::vector<int32_t> budgets(static_cast<std::size_t>(segs), budget);
  DeviceBuffer<int32_t> dbudgets{std::span<const int32_t>(budgets)};
  std::vector<int32_t> kept(static_cast<std::size_t>(segs), budget + window);
  CacheSets cache(requests, kv_heads, kept);
  DeviceBuffer<float> scores(static_cast<std::size_t>(kv_heads) * total);
  const std::size_t kv_elems = static_cast<std::size_t>(total) * kv_heads * kD;
  const std::size_t q_elems = static_cast<std::size_t>(requests) * window * kv_heads * group * kD;
  const bf16* q = arena().at(11 << 20, q_elems);
  const bf16* k = arena().at(std::size_t{3} << 30, 2 * kv_elems);
  const bf16* v = k + kv_elems;
  kernels::WindowScoresParams ws{.q_window = q, .k = k, .cu_seqlens = dcu.data(), .num_requests = requests,
                                 .num_kv_heads = kv_heads, .group_size = group, .head_dim = kD, .window = window,
                                 .total_tokens = total, .max_seq_len = prompt, .scores = scores.data()};
  kernels::CompressParams cp{.scores = scores.data(), .budgets = dbudgets.data(), .k = k, .v = v,
                             .cu_seqlens = dcu.data(), .window = window, .total_tokens = total,
                             .max_seq_len = prompt, .cache = cache.views[0]};
  if (auto s = kernels::supported(ws); !s) throw std::invalid_argument(s.why);
  if (auto s = kernels::supported(cp); !s) throw std::invalid_argument(s.why);
  DeviceBuffer<uint8_t> w1(std::max<std::size_t>(kernels::workspace_bytes(ws), 1));
  DeviceBuffer<uint8_t> w2(std::max<std::size_t>(kernels::workspace_bytes(cp), 1));
  const double seconds = time_launches(
      [&](int) {
        kernels::run(ws, w1.data(), stream());
        kernels::run(cp, w2.data(), stream());
      },
      stream());
  report(state, seconds);
  state.counters["requests"] = requests;
  state.counters["segments"] = segs;
  state.counters["group"] = group;
  state.counters["head_dim"] = kD;
  state.counters["window"] = window;
  state.counters["wave_keys"] = static_cast<double>(kernels::wave_keys(ws));
  state.counters["prompt_tokens"] = prompt;
  state.counters["kv_tokens"] = static_cast<double>(total) * kv_heads;
  state.counters["bytes"] = 2.0 * static_cast<double>(kv_elems) * 2 + static_cast<double>(segs) * (budget + window) * kD * 4;
} catch (const std::exception& e) {
  fail(state, e);
}

template <class F>
void reg(const std::string& name, F f) {
  benchmark::RegisterBenchmark(name.c_str(), [f](benchmark::State& st) { f(st); })
      ->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
}

}  // namespace
}  // namespace kvsim::calib

int main(int argc, char** argv) {
  using namespace kvsim::calib;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  for (int g : {1, 4, 8})
    for (int b = 1; b <= 256; b *= 2)
      for (int l = 128; l <= 32768; l *= 2)
        reg("decode/group:" + std::to_string(g) + "/requests:" + std::to_string(b) + "/len:" + std::to_string(l),
            [=](benchmark::State& s) { bm_decode(s, b, l, g, 0); });
  for (int b : {16, 64})
    for (int l : {512, 4096})
      reg("decode/group:8/requests:" + std::to_string(b) + "/len:" + std::to_string(l) + "/skew:1",
          [=](benchmark::State& s) { bm_decode(s, b, l, 8, 1); });
  for (int b : {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256})
    for (int a : {256, 362, 512, 724, 1024, 1448, 2048, 2896})
      reg("avl_sparse/requests:" + std::to_string(b) + "/attended:" + std::to_string(a),
          [=](benchmark::State& s) { bm_avl_sparse(s, b, a); });
  for (int b = 1; b <= 1024; b *= 2)
    reg("kv_append/requests:" + std::to_string(b), [=](benchmark::State& s) { bm_append(s, b); });
  for (int b : {1, 2, 3, 4, 6, 8, 12, 16, 24, 32})
    for (int n : {512, 724, 1024, 1448, 2048, 2896, 4096, 5793, 8192, 11585, 16384, 23170, 32768})
      reg("kv_compress/requests:" + std::to_string(b) + "/prompt:" + std::to_string(n),
          [=](benchmark::State& s) { bm_compress(s, b, n); });
  add_device_context(1);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
