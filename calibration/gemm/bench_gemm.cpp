// Google Benchmark of bf16 GEMM through cuBLASLt (kernels/gemm) at the shapes the decoder layers
// need (gemm_shapes.h) over M = 1, 2, 4, ..., 16384: the calibration of OpCosts::gemm_s.
// Inputs are random bf16 (never zeros), rotated over enough copies to exceed the L2 several times;
// times are CUDA-event medians (calibration/common/bench_util.h).
//
//   cmake --build build-gpu --target bench_gemm
//   build-gpu/calibration/gemm/bench_gemm --benchmark_out=gemm.json --benchmark_out_format=json
//   build-gpu/calibration/gemm/bench_gemm --list          # shapes and their labels, no GPU work
//
// Counters: m, n, k, flops, bytes (x, w read once, y written once), seconds.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "calibration/common/bench_util.h"
#include "calibration/gemm/gemm_shapes.h"
#include "kernels/gemm/gemm.h"

namespace kvsim::calib {
namespace {

struct Gpu {
  kernels::GemmHandle handle;
  // 3 GiB of random inputs: the largest (x, w) pair (LM head at M = 4096) is 1.1 G elements.
  RandomArena arena{std::size_t{3} << 29, 7};
  __nv_bfloat16* y = nullptr;
  std::size_t y_elems = 0;
  cudaStream_t stream = nullptr;
  Gpu() { KVSIM_CUDA_CHECK(cudaStreamCreate(&stream)); }
};

Gpu& gpu() {
  static Gpu g;
  return g;
}

__nv_bfloat16* output(std::size_t elems) {
  Gpu& g = gpu();
  if (elems > g.y_elems) {
    if (g.y != nullptr) KVSIM_CUDA_CHECK(cudaFree(g.y));
    KVSIM_CUDA_CHECK(cudaMalloc(&g.y, elems * sizeof(__nv_bfloat16)));
    g.y_elems = elems;
  }
  return g.y;
}

void bm_gemm(benchmark::State& state, int64_t m, int64_t n, int64_t k) {
  Gpu& g = gpu();
  const kernels::GemmPlan plan(g.handle, m, n, k);
  const std::size_t x_elems = static_cast<std::size_t>(m * k), w_elems = static_cast<std::size_t>(n * k);
  const std::size_t x_padded = (x_elems + 127) / 128 * 128;  // w starts 256-byte aligned
  const std::size_t set = x_padded + w_elems;
  const int sets = rotation_sets(2.0 * static_cast<double>(set), 32);
  std::vector<std::pair<const __nv_bfloat16*, const __nv_bfloat16*>> inputs;
  for (int s = 0; s < sets; ++s) {
    const __nv_bfloat16* base = g.arena.at(static_cast<std::size_t>(s) * (set + 4096), set);
    inputs.push_back({base, base + x_padded});
  }
  __nv_bfloat16* y = output(static_cast<std::size_t>(m * n));
  const double seconds = time_launches(
      [&](int i) {
        const auto& in = inputs[static_cast<std::size_t>(i) % inputs.size()];
        plan.run(g.handle, in.first, in.second, y, g.stream);
      },
      g.stream);
  report(state, seconds);
  state.counters["m"] = static_cast<double>(m);
  state.counters["n"] = static_cast<double>(n);
  state.counters["k"] = static_cast<double>(k);
  state.counters["flops"] = plan.flops();
  state.counters["bytes"] = plan.min_bytes();
  state.counters["tflops_per_s"] = plan.flops() / seconds * 1e-12;
}

}  // namespace
}  // namespace kvsim::calib

int main(int argc, char** argv) {
  using namespace kvsim::calib;
  const auto shapes = gemm_shapes();
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--list") == 0) {
      for (const auto& s : shapes) std::printf("n=%lld k=%lld max_m=%lld  %s\n", static_cast<long long>(s.n),
                                               static_cast<long long>(s.k), static_cast<long long>(s.max_m), s.label.c_str());
      std::printf("%zu shapes\n", shapes.size());
      return 0;
    }
  for (const auto& s : shapes)
    for (int64_t m = 1; m <= s.max_m; m *= 2) {
      const std::string name = "gemm/n:" + std::to_string(s.n) + "/k:" + std::to_string(s.k) + "/m:" + std::to_string(m);
      benchmark::RegisterBenchmark(name.c_str(), [m, n = s.n, k = s.k](benchmark::State& st) { bm_gemm(st, m, n, k); })
          ->UseManualTime()
          ->Iterations(1)
          ->Unit(benchmark::kMicrosecond);
    }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  add_device_context(1);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
