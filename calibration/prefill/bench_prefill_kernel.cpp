// Google Benchmark timings of kvsim's own causal prefill attention kernel (kernels/attention/prefill.h,
// the kernel kernels/runtime runs) for OpCosts::prefill_attention_s: the "prefill" op of the
// calibration profile. bench_prefill.py (PyTorch SDPA) is kept beside it as a reference only.
//
//   prefill/group:G/len:L   8 kv heads, group G in {1, 4, 8}, head_dim 128, one request with a whole
//       causal prompt of L tokens: q_start 0, the prompt's K/V already in the segments (length L).
//       L in {128, 181, 256, ..., 32768} (sqrt(2) steps, multiples of 8: the same set as
//       bench_prefill.py). pairs = kv_heads * L (L + 1) / 2; the fitter reads these.
//   prefill_chunk/group:G/prefix:P/chunk:C   chunked prefill as the runtime runs it: C new queries
//       after P cached tokens (pairs = kv_heads * (C P + C (C + 1) / 2)). Not fitted (the fitter
//       ignores the prefix): a check that time follows pairs, against prefill/ at equal pairs.
//
// Run time: the kernel is slow at long prompts (CUDA cores), so before registering anything the
// program times one L=4096 launch per group and keeps only the points whose estimated time per launch
// is at most --max_seconds (default 0.3 s); the series of a slow group therefore ends before
// L=32768 (the simulator extrapolates past the last point along the roofline, i.e. ~linearly in
// pairs for a compute-bound kernel). Points estimated above 20 ms use 1 warm-up and 5 samples instead
// of 3 and 7. The whole program takes well under a minute on an H200.
//
//   build-gpu/calibration/prefill/bench_prefill_kernel --benchmark_out=prefill.json --benchmark_out_format=json
//       [--max_seconds=0.3] [--max_len=32768]   (own flags: give them as --flag=value)
//
// Inputs are random bf16 slices of one buffer, rotated over enough copies to exceed the L2. Counters:
// pairs, group, head_dim, kv_heads, tokens (query rows), flops (4 head_dim pairs group), seconds;
// prefill_chunk/ also prefix and chunk. The JSON context records the probe's TFLOP/s per group and the
// cap.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "calibration/common/bench_util.h"
#include "kernels/attention/prefill.h"
#include "kernels/common/device_buffer.h"
#include "kernels/kv_cache/kv_cache.h"

namespace kvsim::calib {
namespace {

using bf16 = __nv_bfloat16;
using kernels::DeviceBuffer;
constexpr int kD = 128, kKvHeads = 8, kProbeLen = 4096;
constexpr double kFallbackFlops = 5e12;  // assumed FLOP/s when the probe fails

RandomArena& arena() {  // 1.5 GiB of random bf16: the largest set (L=32768, group 8) is 0.63 GiB
  static RandomArena a(std::size_t{3} << 28, 23);
  return a;
}

// Causal query-key pairs of `chunk` new queries after `prefix` cached tokens, over all kv heads.
double pairs_of(int prefix, int chunk) {
  return kKvHeads * (static_cast<double>(chunk) * prefix + static_cast<double>(chunk) * (chunk + 1) / 2);
}
double flops_of(double pairs, int group) { return 4.0 * kD * pairs * group; }

// One request: `chunk` query rows at positions prefix .. prefix+chunk-1, each of the 8 segments
// holding prefix+chunk rows (the chunk's own K/V already written), rotated over input sets.
struct PrefillSetup {
  kernels::SegmentTable table;
  DeviceBuffer<int64_t> offset;
  DeviceBuffer<int32_t> capacity, length, cu_q, q_start;
  DeviceBuffer<bf16> out;
  DeviceBuffer<uint8_t> workspace;
  std::vector<kernels::PrefillParams> sets;

  PrefillSetup(int group, int prefix, int chunk)
      : table(kernels::SegmentTable::build(std::vector<int32_t>(kKvHeads, prefix + chunk), 0)),
        offset(std::span<const int64_t>(table.offset)),
        capacity(std::span<const int32_t>(table.capacity)),
        length(std::span<const int32_t>(std::vector<int32_t>(kKvHeads, prefix + chunk))),
        cu_q(std::span<const int32_t>(std::vector<int32_t>{0, chunk})),
        q_start(std::span<const int32_t>(std::vector<int32_t>{prefix})) {
    const std::size_t qn = static_cast<std::size_t>(chunk) * kKvHeads * group * kD;
    const std::size_t kvn = static_cast<std::size_t>(table.pool_rows) * kD;
    const std::size_t set_elems = qn + 2 * kvn;  // multiples of kD = 128 elements: slices stay aligned
    if (set_elems > arena().size()) throw std::invalid_argument("prefill inputs larger than the benchmark arena");
    const int sets_wanted = rotation_sets(2.0 * static_cast<double>(set_elems), 32);
    const int n_sets = std::max(1, std::min(sets_wanted, static_cast<int>(arena().size() / set_elems)));
    out.resize(qn);
    for (int s = 0; s < n_sets; ++s) {
      const std::size_t base = static_cast<std::size_t>(s) * set_elems;
      bf16* q = arena().at(base, qn);
      bf16* k = arena().at(base + qn, kvn);
      bf16* v = arena().at(base + qn + kvn, kvn);
      sets.push_back({.q = q, .cu_q = cu_q.data(), .q_start = q_start.data(), .total_q = chunk,
                      .cache = {k, v, offset.data(), capacity.data(), length.data(), 1, kKvHeads, kD},
                      .group_size = group, .out = out.data()});
    }
    if (auto ok = kernels::supported(sets[0]); !ok) throw std::invalid_argument(ok.why);
    workspace.resize(std::max<std::size_t>(kernels::workspace_bytes(sets[0]), 1));
  }

  void launch(int i) {
    kernels::run(sets[static_cast<std::size_t>(i) % sets.size()], workspace.data(), stream());
  }
};

// Seconds per FLOP of one whole-prompt launch at L=kProbeLen (after a first, untimed launch).
double probe_seconds_per_flop(int group) {
  PrefillSetup s(group, 0, kProbeLen);
  s.launch(0);
  KVSIM_CUDA_CHECK(cudaStreamSynchronize(stream()));
  cudaEvent_t a, b;
  KVSIM_CUDA_CHECK(cudaEventCreate(&a));
  KVSIM_CUDA_CHECK(cudaEventCreate(&b));
  KVSIM_CUDA_CHECK(cudaEventRecord(a, stream()));
  s.launch(1);
  s.launch(2);
  KVSIM_CUDA_CHECK(cudaEventRecord(b, stream()));
  KVSIM_CUDA_CHECK(cudaEventSynchronize(b));
  float ms = 0;
  KVSIM_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
  KVSIM_CUDA_CHECK(cudaEventDestroy(a));
  KVSIM_CUDA_CHECK(cudaEventDestroy(b));
  return ms * 1e-3 / 2 / flops_of(pairs_of(0, kProbeLen), group);
}

void bm_prefill(benchmark::State& state, int group, int prefix, int chunk, double est_s) try {
  PrefillSetup setup(group, prefix, chunk);
  const TimingConfig cfg = est_s > 20e-3 ? TimingConfig{.warmup = 1, .samples = 5} : TimingConfig{};
  const double seconds = time_launches([&](int i) { setup.launch(i); }, stream(), cfg);
  const double pairs = pairs_of(prefix, chunk);
  report(state, seconds);
  state.counters["pairs"] = pairs;
  state.counters["group"] = group;
  state.counters["head_dim"] = kD;
  state.counters["kv_heads"] = kKvHeads;
  state.counters["tokens"] = chunk;
  state.counters["flops"] = flops_of(pairs, group);
  if (prefix > 0) {
    state.counters["prefix"] = prefix;
    state.counters["chunk"] = chunk;
  }
} catch (const std::exception& e) {
  state.SkipWithError(e.what());
}

void reg(const std::string& name, int group, int prefix, int chunk, double est_s) {
  benchmark::RegisterBenchmark(name.c_str(),
                               [=](benchmark::State& st) { bm_prefill(st, group, prefix, chunk, est_s); })
      ->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
}

// Removes "--name=value" from argv (before Google Benchmark sees it) and returns the value.
const char* take_flag(int& argc, char** argv, const char* name) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      const char* v = argv[i] + prefix.size();
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      --argc;
      return v;
    }
  return nullptr;
}

}  // namespace
}  // namespace kvsim::calib

int main(int argc, char** argv) {
  using namespace kvsim::calib;
  double max_seconds = 0.3;
  int max_len = 32768;
  if (const char* v = take_flag(argc, argv, "max_seconds")) max_seconds = std::atof(v);
  if (const char* v = take_flag(argc, argv, "max_len")) max_len = std::atoi(v);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  // The same L set as bench_prefill.py: sorted({round(128 * 2**(i/2)) // 8 * 8 for i in 0..39}).
  std::vector<int> lens;
  for (int i = 0; i < 40; ++i) {
    const int l = static_cast<int>(std::lround(128 * std::pow(2.0, i / 2.0))) / 8 * 8;
    if (l > max_len) break;
    if (lens.empty() || l != lens.back()) lens.push_back(l);
  }
  // Chunked prefill checks (cached prefix P, chunk C): the simulator's default token budget is 8192.
  const std::vector<std::pair<int, int>> chunks = {{6144, 2048}, {14336, 2048}, {30720, 2048}, {8192, 8192}, {24576, 8192}};

  for (int g : {1, 4, 8}) {
    double spf = 1.0 / kFallbackFlops;
    try {
      spf = probe_seconds_per_flop(g);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "prefill probe (group %d) failed: %s; assuming %.0f TFLOP/s\n", g, e.what(), kFallbackFlops / 1e12);
    }
    benchmark::AddCustomContext("prefill_probe_tflops_group" + std::to_string(g), std::to_string(1e-12 / spf));
    int kept = 0;
    for (int l : lens) {
      const double est = flops_of(pairs_of(0, l), g) * spf;
      if (est > max_seconds) break;
      reg("prefill/group:" + std::to_string(g) + "/len:" + std::to_string(l), g, 0, l, est);
      kept = l;
    }
    std::fprintf(stderr, "prefill group %d: probe %.1f TFLOP/s at L=%d; whole prompts up to L=%d\n", g, 1e-12 / spf,
                 kProbeLen, kept);
    for (const auto& [p, c] : chunks) {
      const double est = flops_of(pairs_of(p, c), g) * spf;
      if (p + c > max_len || est > max_seconds) continue;
      reg("prefill_chunk/group:" + std::to_string(g) + "/prefix:" + std::to_string(p) + "/chunk:" + std::to_string(c), g,
          p, c, est);
    }
  }
  benchmark::AddCustomContext("prefill_kernel", "kvsim kernels/attention/prefill.h (calibration/prefill/bench_prefill_kernel)");
  benchmark::AddCustomContext("prefill_max_seconds", std::to_string(max_seconds));
  add_device_context(1);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
