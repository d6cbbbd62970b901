// Shared timing and input helpers of the calibration benchmarks (calibration/*/bench_*.cpp).
//  - time_launches(): CUDA events around `reps` back-to-back launches (reps chosen so one sample
//    lasts ~2 ms, which hides the event overhead), after warm-up; the median of several samples is
//    the time of one launch. `launch(i)` gets the launch index so callers rotate input sets.
//  - rotation_sets(): how many copies of an input set make a working set several times the L2, so
//    repeated launches read device memory rather than cache (METHOD.md: rotate among input sets).
//  - RandomArena: one large device buffer of random bf16 that benchmarks carve inputs from.
//  - add_device_context(): GPU name, SM count, L2, driver and runtime versions into the JSON
//    "context" block, which the fitter (calibration/fitter) copies into the profile.
// Each benchmark runs one Google Benchmark iteration that reports the median as manual time and as
// the counter "seconds"; features of the shape go in counters too (the fitter reads them by name).
#pragma once

#include <benchmark/benchmark.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/common/cuda_check.h"
#include "kernels/ops/ops.h"

namespace kvsim::calib {

struct TimingConfig {
  int warmup = 3;
  int samples = 7;
  double target_sample_s = 2e-3;
  int max_reps = 256;
};

// Seconds per launch (median over samples) of `launch(i)` on `stream`.
template <class Launch>
double time_launches(Launch&& launch, cudaStream_t stream, const TimingConfig& cfg = {}) {
  cudaEvent_t start, stop;
  KVSIM_CUDA_CHECK(cudaEventCreate(&start));
  KVSIM_CUDA_CHECK(cudaEventCreate(&stop));
  int i = 0;
  for (int w = 0; w < cfg.warmup; ++w) launch(i++);
  // One timed launch sizes the repetitions of a sample.
  KVSIM_CUDA_CHECK(cudaEventRecord(start, stream));
  launch(i++);
  KVSIM_CUDA_CHECK(cudaEventRecord(stop, stream));
  KVSIM_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  KVSIM_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  const int reps = std::clamp(static_cast<int>(cfg.target_sample_s / std::max(ms * 1e-3, 1e-7)), 1, cfg.max_reps);
  std::vector<double> per_launch;
  for (int s = 0; s < cfg.samples; ++s) {
    KVSIM_CUDA_CHECK(cudaEventRecord(start, stream));
    for (int r = 0; r < reps; ++r) launch(i++);
    KVSIM_CUDA_CHECK(cudaEventRecord(stop, stream));
    KVSIM_CUDA_CHECK(cudaEventSynchronize(stop));
    KVSIM_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    per_launch.push_back(ms * 1e-3 / reps);
  }
  KVSIM_CUDA_CHECK(cudaEventDestroy(start));
  KVSIM_CUDA_CHECK(cudaEventDestroy(stop));
  std::sort(per_launch.begin(), per_launch.end());
  return per_launch[per_launch.size() / 2];
}

// Reports one measured time through Google Benchmark (manual time) and the "seconds" counter.
// The benchmarks' one stream, created on first use (on the current device).
inline cudaStream_t stream() {
  static cudaStream_t s = [] {
    cudaStream_t x;
    KVSIM_CUDA_CHECK(cudaStreamCreate(&x));
    return x;
  }();
  return s;
}

inline void report(benchmark::State& state, double seconds) {
  for (auto _ : state) state.SetIterationTime(seconds);
  state.counters["seconds"] = seconds;
}

inline int l2_bytes() {
  int dev = 0, l2 = 0;
  KVSIM_CUDA_CHECK(cudaGetDevice(&dev));
  KVSIM_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev));
  return l2;
}

// Input sets of `set_bytes` each, enough that together they are at least 3x the L2 (at most `cap`).
inline int rotation_sets(double set_bytes, int cap = 64) {
  const double want = 3.0 * l2_bytes();
  return std::clamp(static_cast<int>(want / std::max(set_bytes, 1.0)) + 1, 1, cap);
}

// A device buffer of random bf16 in [-1, 1); slices of it serve as benchmark inputs.
class RandomArena {
 public:
  explicit RandomArena(std::size_t elements, uint64_t seed = 1) : size_(elements) {
    KVSIM_CUDA_CHECK(cudaMalloc(&data_, elements * sizeof(__nv_bfloat16)));
    kernels::fill_uniform(data_, static_cast<int64_t>(elements), seed, nullptr);
    KVSIM_CUDA_CHECK(cudaDeviceSynchronize());
  }
  ~RandomArena() { cudaFree(data_); }
  RandomArena(const RandomArena&) = delete;
  RandomArena& operator=(const RandomArena&) = delete;
  // Element `offset` onwards, rounded down to a 256-byte boundary; wraps so offset + count fits.
  __nv_bfloat16* at(std::size_t offset, std::size_t count) {
    if (count > size_) throw std::invalid_argument("RandomArena: slice larger than the arena");
    const std::size_t room = size_ - count;
    std::size_t o = room == 0 ? 0 : offset % (room + 1);
    o -= o % 128;
    return data_ + o;
  }
  std::size_t size() const { return size_; }

 private:
  __nv_bfloat16* data_ = nullptr;
  std::size_t size_ = 0;
};

inline std::string version_string(int v) {  // CUDA encodes 13000 as 13.0
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

inline void add_device_context(int gpus_used) {
  cudaDeviceProp prop{};
  KVSIM_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  int driver = 0, runtime = 0, count = 0;
  KVSIM_CUDA_CHECK(cudaDriverGetVersion(&driver));
  KVSIM_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  KVSIM_CUDA_CHECK(cudaGetDeviceCount(&count));
  benchmark::AddCustomContext("gpu_name", prop.name);
  benchmark::AddCustomContext("gpu_count_present", std::to_string(count));
  benchmark::AddCustomContext("gpus_used", std::to_string(gpus_used));
  benchmark::AddCustomContext("sm_count", std::to_string(prop.multiProcessorCount));
  benchmark::AddCustomContext("l2_bytes", std::to_string(prop.l2CacheSize));
  benchmark::AddCustomContext("memory_bytes", std::to_string(prop.totalGlobalMem));
  benchmark::AddCustomContext("cuda_driver_api", version_string(driver));
  benchmark::AddCustomContext("cuda_runtime", version_string(runtime));
}

}  // namespace kvsim::calib
