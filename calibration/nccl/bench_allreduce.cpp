// Google Benchmark of NCCL all-reduce (bf16 sum, out of place) from one process driving every local
// GPU (kernels/comm), for 2..N GPUs and 1 KiB .. 1 GiB: the calibration of OpCosts::allreduce_s.
// Reports algbw = bytes / time and busbw = algbw * 2 (n - 1) / n, as nccl-tests does. A sum is
// checked first.
// Time ("seconds", what the fitter reads) is the host clock around `reps` all-reduces launched on
// every GPU and synchronised on all of them (nccl-tests' method), median of 7 samples after 5 warm-up
// launches; up to ~1 MiB it is bound by the one host thread enqueueing a group call per GPU (~13-15
// us on 2 x H200). `gpu_seconds` is GPU time in the stream: every GPU's stream is held by a host
// function until the all-reduces are queued behind CUDA events, then released; elapsed / reps on the
// GPU that waited least, median of 7 (6-10 us below 512 KiB on 2 x H200). `enqueue_seconds` is the
// host time per call of that queueing (the GPUs held, so they cannot push back): what one host
// thread needs to issue one all-reduce on every GPU, median of 7. Neither is what a runtime
// step's all-reduce interval takes (~13 us at 256-320 KiB, arrival skew between the GPUs included):
// raw/run6-h200x2-runtime-calls/README.md. (In that run's allreduce.json, "seconds" is the GPU time
// and `host_seconds` the host clock: the two were swapped afterwards, keeping the fitted meaning.)
// Keep NCCL_NVLS_ENABLE=0 (the device machines require NVLink multicast off).
//
//   cmake --build build-gpu --target bench_allreduce
//   NCCL_NVLS_ENABLE=0 build-gpu/calibration/nccl/bench_allreduce --benchmark_out=allreduce.json
//       (one line) --benchmark_out_format=json [--max_gpus=N]
//
// Counters: gpus, bytes, seconds, algbw, busbw (bytes per second).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <thread>

#include "calibration/common/bench_util.h"
#include "kernels/comm/comm.h"
#include "kernels/ops/ops.h"
#include "kernels/reference/bf16.h"

namespace kvsim::calib {
namespace {

constexpr std::size_t kMaxBytes = std::size_t{1} << 30;

struct Group {
  std::unique_ptr<kernels::LocalComm> comm;
  std::vector<const void*> send;
  std::vector<void*> recv;
};

Group& group(int gpus) {
  static std::map<int, Group> groups;
  auto it = groups.find(gpus);
  if (it != groups.end()) return it->second;
  Group g;
  g.comm = std::make_unique<kernels::LocalComm>(gpus);
  for (int r = 0; r < gpus; ++r) {
    KVSIM_CUDA_CHECK(cudaSetDevice(r));
    void *s = nullptr, *d = nullptr;
    KVSIM_CUDA_CHECK(cudaMalloc(&s, kMaxBytes));
    KVSIM_CUDA_CHECK(cudaMalloc(&d, kMaxBytes));
    kernels::fill_uniform(static_cast<__nv_bfloat16*>(s), kMaxBytes / 2, 100 + r, nullptr);
    KVSIM_CUDA_CHECK(cudaDeviceSynchronize());
    g.send.push_back(s);
    g.recv.push_back(d);
  }
  return groups.emplace(gpus, std::move(g)).first->second;
}

// recv on every GPU must equal the float sum of the inputs, to bf16 rounding.
bool check_sum(int gpus) {
  Group& g = group(gpus);
  const std::size_t n = 4096;
  g.comm->all_reduce(g.send, g.recv, n);
  g.comm->synchronize();
  std::vector<float> want(n, 0.0f);
  std::vector<uint16_t> h(n);
  for (int r = 0; r < gpus; ++r) {
    KVSIM_CUDA_CHECK(cudaSetDevice(r));
    KVSIM_CUDA_CHECK(cudaMemcpy(h.data(), g.send[static_cast<std::size_t>(r)], n * 2, cudaMemcpyDeviceToHost));
    for (std::size_t i = 0; i < n; ++i) want[i] += kernels::ref::bf16_to_float(h[i]);
  }
  double worst = 0;
  for (int r = 0; r < gpus; ++r) {
    KVSIM_CUDA_CHECK(cudaSetDevice(r));
    KVSIM_CUDA_CHECK(cudaMemcpy(h.data(), g.recv[static_cast<std::size_t>(r)], n * 2, cudaMemcpyDeviceToHost));
    for (std::size_t i = 0; i < n; ++i) {
      const double e = std::fabs(kernels::ref::bf16_to_float(h[i]) - want[i]);
      worst = std::isnan(e) ? INFINITY : std::max(worst, e);
    }
  }
  const bool ok = worst <= 0.02 * gpus;  // bf16 ulp at |x| < 2^k, summed over the ranks
  std::printf("check all-reduce %d GPUs: max abs err %.3g %s (NCCL %s)\n", gpus, worst, ok ? "ok" : "FAILED",
              kernels::LocalComm::version().c_str());
  return ok;
}

// Holds a stream until *flag is set (cudaLaunchHostFunc), so the launches behind it queue up.
void CUDART_CB hold_stream(void* flag) {
  const auto* go = static_cast<const std::atomic<bool>*>(flag);
  while (!go->load(std::memory_order_acquire)) std::this_thread::yield();
}

struct GpuTiming {
  double seconds = 0;          // per all-reduce, on the GPU that waited least
  double enqueue_seconds = 0;  // host time per all-reduce call while the streams are held
  bool host_bound = false;     // queueing outlasted the hold (the watchdog released the streams first)
};

// GPU time per all-reduce of `reps` queued back to back while every stream is held (file comment).
GpuTiming gpu_time(Group& g, std::size_t count, int reps) {
  const int n = g.comm->size();
  std::vector<cudaEvent_t> start(static_cast<std::size_t>(n)), stop(static_cast<std::size_t>(n));
  std::atomic<bool> go{false}, queued{false};
  for (int r = 0; r < n; ++r) {
    KVSIM_CUDA_CHECK(cudaSetDevice(g.comm->device(r)));
    KVSIM_CUDA_CHECK(cudaEventCreate(&start[static_cast<std::size_t>(r)]));
    KVSIM_CUDA_CHECK(cudaEventCreate(&stop[static_cast<std::size_t>(r)]));
  }
  // Watchdog: should queueing ever block (a full launch queue), release the streams after 1 s.
  std::thread watchdog([&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!queued.load() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::microseconds(200));
    go.store(true, std::memory_order_release);
  });
  for (int r = 0; r < n; ++r) {
    KVSIM_CUDA_CHECK(cudaSetDevice(g.comm->device(r)));
    KVSIM_CUDA_CHECK(cudaLaunchHostFunc(g.comm->stream(r), hold_stream, &go));
    KVSIM_CUDA_CHECK(cudaEventRecord(start[static_cast<std::size_t>(r)], g.comm->stream(r)));
  }
  const auto enqueue_start = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) g.comm->all_reduce(g.send, g.recv, count);
  const double enqueue = std::chrono::duration<double>(std::chrono::steady_clock::now() - enqueue_start).count();
  for (int r = 0; r < n; ++r) {
    KVSIM_CUDA_CHECK(cudaSetDevice(g.comm->device(r)));
    KVSIM_CUDA_CHECK(cudaEventRecord(stop[static_cast<std::size_t>(r)], g.comm->stream(r)));
  }
  GpuTiming t;
  t.enqueue_seconds = enqueue / reps;
  t.host_bound = go.load();
  queued.store(true);
  watchdog.join();
  g.comm->synchronize();
  t.seconds = INFINITY;
  for (int r = 0; r < n; ++r) {
    float ms = 0;
    KVSIM_CUDA_CHECK(cudaEventElapsedTime(&ms, start[static_cast<std::size_t>(r)], stop[static_cast<std::size_t>(r)]));
    t.seconds = std::min(t.seconds, ms * 1e-3 / reps);
    KVSIM_CUDA_CHECK(cudaSetDevice(g.comm->device(r)));
    KVSIM_CUDA_CHECK(cudaEventDestroy(start[static_cast<std::size_t>(r)]));
    KVSIM_CUDA_CHECK(cudaEventDestroy(stop[static_cast<std::size_t>(r)]));
  }
  return t;
}

void bm_allreduce(benchmark::State& state, int gpus, std::size_t bytes) {
  Group& g = group(gpus);
  const std::size_t count = bytes / 2;
  using clock = std::chrono::steady_clock;
  for (int w = 0; w < 5; ++w) g.comm->all_reduce(g.send, g.recv, count);
  g.comm->synchronize();
  auto t0 = clock::now();
  g.comm->all_reduce(g.send, g.recv, count);
  g.comm->synchronize();
  const double once = std::chrono::duration<double>(clock::now() - t0).count();
  const int reps = std::clamp(static_cast<int>(5e-3 / std::max(once, 1e-6)), 1, 500);
  std::vector<double> host;
  for (int s = 0; s < 7; ++s) {
    t0 = clock::now();
    for (int r = 0; r < reps; ++r) g.comm->all_reduce(g.send, g.recv, count);
    g.comm->synchronize();
    host.push_back(std::chrono::duration<double>(clock::now() - t0).count() / reps);
  }
  std::sort(host.begin(), host.end());
  // In-stream GPU time: at most 128 queued launches (well inside a stream's launch queue), ~2 ms.
  const int gpu_reps = std::clamp(static_cast<int>(2e-3 / std::max(once, 1e-6)), 4, 128);
  std::vector<double> samples, enqueue;
  int host_bound = 0;
  for (int s = 0; s < 7; ++s) {
    const GpuTiming t = gpu_time(g, count, gpu_reps);
    samples.push_back(t.seconds);
    enqueue.push_back(t.enqueue_seconds);
    host_bound += t.host_bound ? 1 : 0;
  }
  std::sort(samples.begin(), samples.end());
  std::sort(enqueue.begin(), enqueue.end());
  const double seconds = host[host.size() / 2];
  report(state, seconds);
  state.counters["gpu_seconds"] = samples[samples.size() / 2];
  state.counters["enqueue_seconds"] = enqueue[enqueue.size() / 2];
  state.counters["gpu_reps"] = gpu_reps;
  state.counters["host_bound_samples"] = host_bound;
  const double algbw = static_cast<double>(bytes) / seconds;
  state.counters["gpus"] = gpus;
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["algbw"] = algbw;
  state.counters["busbw"] = algbw * 2.0 * (gpus - 1) / gpus;
}

}  // namespace
}  // namespace kvsim::calib

int main(int argc, char** argv) {
  using namespace kvsim::calib;
  int max_gpus = 0;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--max_gpus=", 11) == 0) {
      max_gpus = std::atoi(argv[i] + 11);
      argv[i] = argv[--argc];  // consumed
      --i;
    }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  int count = 0;
  KVSIM_CUDA_CHECK(cudaGetDeviceCount(&count));
  if (max_gpus > 0) count = std::min(count, max_gpus);
  if (count < 2) {
    std::printf("bench_allreduce: %d GPU(s); an all-reduce needs at least 2\n", count);
    return 2;
  }
  for (int n = 2; n <= count; n *= 2) {
    if (!check_sum(n)) return 1;
    for (std::size_t bytes = 1024; bytes <= kMaxBytes; bytes *= 2) {
      const std::string name = "allreduce/gpus:" + std::to_string(n) + "/bytes:" + std::to_string(bytes);
      benchmark::RegisterBenchmark(name.c_str(), [n, bytes](benchmark::State& st) { bm_allreduce(st, n, bytes); })
          ->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);
    }
  }
  add_device_context(count);
  benchmark::AddCustomContext("nccl_version", kvsim::kernels::LocalComm::version());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
