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
//   avl_refresh  A-VL's refresh after the dense decode attention of a refresh step (image scores, two
//                kernels, then the core top-k), as the runtime launches it per layer: segments S =
//                refreshing requests R x kv heads on the GPU, R in {1, 4, 16, 64, 256} with kv heads
//                32 and 16 (group 1: LLaVA-1.5-7B on 1 and 2 GPUs) or 8 and 4 (group 4: LLaVA-NeXT-
//                Mistral), so S runs in x2 steps alternating the two head counts (16..8192 and
//                4..2048) x stored image tokens per segment in {64, 128, 192, 288, 432, 576, 720, 864,
//                1024, 1152, 1296, 1440}: dense above 576, where the top-k's rank path (all-pairs,
//                rows <= 1024) grows as rows^2 and then gives way to radix select (1024 | 1152);
//                plus off-grid checks (counter off_grid 1): each head count at R in {2, 8, 32, 128},
//                i.e. at the segments of the other head count's grid points, images {64, 288, 1440}
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
// and wave_keys (prompt keys one wave of resident window-score CTAs covers, kernels::wave_keys);
// avl_refresh requests and segments count the refreshing requests only (kv_tokens: image rows
// scored), batch_requests all of the batch, image_tokens the stored image tokens per segment.
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <utility>

#include "calibration/common/bench_util.h"
#include "kernels/attention/avl_refresh.h"
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

// range: group, kv heads on the GPU, refreshing requests, stored image tokens per segment.
// The runtime's call (DecoderRuntime::decode_attention on a refresh step): AvlImageScoresParams with
// q read in place from the fused QKV rows (q_row, q_row_stride, row_kv_heads = kv heads), the dense
// attention's lse ([request][q head]; any finite value times the same work), lengths = segment
// capacities, scores [request][max_secondary]; then AvlSelectCoreParams over the whole batch. Each
// segment is prefix 35 + image + text 200 rows (the avl_sparse layout); the core keeps 3/5 of the
// stored image tokens (A-VL's defaults: vision_keep 0.5, vision_compute 0.3 of the image).
// The batch holds as many non-refreshing requests as refreshing ones, interleaved (refresh layout
// num_secondary 0, as the runtime writes it for a request not refreshing this step): the runtime
// always passes the whole decode batch, so its launches carry empty CTAs (score passes) and empty
// top-k rows for the others, and requests refresh on their own step counts (every K steps since
// their own start), so a refresh step typically finds part of the batch refreshing. One-to-one sits
// between "all refresh together" and "few refresh"; the op's axes count only refreshing segments,
// so the fitted time per refreshing segment includes the others' (small) share.
// off_grid: a check of the grid (the same segments split over the other head count), not a point.
void bm_avl_refresh(benchmark::State& state, int group, int kv_heads, int refreshing, int image, bool off_grid) try {
  const int prefix = 35, text = 200, core = image * 3 / 5, batch = 2 * refreshing;
  const int segs = refreshing * kv_heads;
  std::vector<int32_t> lengths(static_cast<std::size_t>(batch) * kv_heads, prefix + image + text);
  CacheSets cache(batch, kv_heads, lengths);
  std::vector<kernels::AvlRequest> reqs(static_cast<std::size_t>(batch));
  for (int b = 0; b < batch; ++b)
    reqs[static_cast<std::size_t>(b)] = b % 2 == 0 ? kernels::AvlRequest{prefix, image, core, b * image}
                                                   : kernels::AvlRequest{0, 0, 0, b * image};
  DeviceBuffer<kernels::AvlRequest> dreqs{std::span<const kernels::AvlRequest>(reqs)};
  DeviceBuffer<int32_t> core_idx(static_cast<std::size_t>(batch) * image);
  const RuntimeRows rows(batch, kv_heads, group);
  std::vector<float> lse(static_cast<std::size_t>(batch) * kv_heads * group, 6.0f);
  DeviceBuffer<float> dlse{std::span<const float>(lse)};
  DeviceBuffer<float> scores(static_cast<std::size_t>(batch) * image);
  kernels::AvlImageScoresParams sp{.q = arena().at(13 << 20, rows.q_elems(batch)), .cache = cache.views[0],
                                   .requests = dreqs.data(), .lse = dlse.data(), .group_size = group,
                                   .max_secondary = image, .scores = scores.data(), .score_stride = image};
  sp.q_row = rows.q_row.data();
  sp.q_row_stride = rows.q_stride;
  sp.row_kv_heads = kv_heads;
  sp.lengths = cache.capacity.data();
  const kernels::AvlSelectCoreParams cp{.scores = scores.data(), .score_stride = image, .num_requests = batch,
                                        .requests = dreqs.data(), .core_idx = core_idx.data()};
  if (auto s = kernels::supported(sp); !s) throw std::invalid_argument(s.why);
  if (auto s = kernels::supported(cp); !s) throw std::invalid_argument(s.why);
  DeviceBuffer<uint8_t> w1(std::max<std::size_t>(kernels::workspace_bytes(sp), 1));
  DeviceBuffer<uint8_t> w2(std::max<std::size_t>(kernels::workspace_bytes(cp), 1));
  const double seconds = time_launches(
      [&](int i) {
        sp.cache = cache.views[static_cast<std::size_t>(i) % cache.views.size()];
        kernels::run(sp, w1.data(), stream());
        kernels::run(cp, w2.data(), stream());
      },
      stream());
  const double tokens = static_cast<double>(segs) * image;
  report(state, seconds);
  state.counters["requests"] = refreshing;
  state.counters["batch_requests"] = batch;
  state.counters["kv_heads"] = kv_heads;
  state.counters["segments"] = segs;
  state.counters["image_tokens"] = image;
  state.counters["kv_tokens"] = tokens;
  state.counters["core_tokens"] = core;
  state.counters["group"] = group;
  state.counters["head_dim"] = kD;
  state.counters["off_grid"] = off_grid ? 1 : 0;
  state.counters["bytes"] = tokens * kD * 2 + static_cast<double>(segs) * image * 4 * 2;  // K rows; partials
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
  // Group 1: 32 and 16 kv heads (LLaVA-1.5-7B on 1 and 2 GPUs), group 4: 8 and 4 (LLaVA-NeXT-Mistral);
  // x4 steps in refreshing requests per head count interleave to x2 steps in segments.
  // Off-grid checks (off_grid 1): R in x4 steps from 2, the segments of the other head count's points.
  for (const auto& [g, heads] : {std::pair{1, std::array{32, 16}}, std::pair{4, std::array{8, 4}}})
    for (int h : heads)
      for (const bool check : {false, true})
        for (int r = check ? 2 : 1; r <= 256; r *= 4)
          for (int i : {64, 128, 192, 288, 432, 576, 720, 864, 1024, 1152, 1296, 1440}) {
            if (check && i != 64 && i != 288 && i != 1440) continue;
            reg("avl_refresh/group:" + std::to_string(g) + "/kv_heads:" + std::to_string(h) + "/requests:" +
                    std::to_string(r) + "/image:" + std::to_string(i) + (check ? "/off_grid:1" : ""),
                [=](benchmark::State& s) { bm_avl_refresh(s, g, h, r, i, check); });
          }
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
