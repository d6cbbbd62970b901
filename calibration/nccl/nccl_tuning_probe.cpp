// nccl_tuning_probe: runs bf16-sum all-reduces over every local GPU (one process, one host thread,
// ncclCommInitAll + ncclGroupStart/End, as bench_allreduce and the runtime's LocalComm call them)
// at 1 KiB .. 1 GiB, so that NCCL's own debug log states what its tuner decided on this machine:
//
//   NCCL_NVLS_ENABLE=0 NCCL_DEBUG=INFO NCCL_DEBUG_SUBSYS=INIT,GRAPH,TUNING,COLL,ENV
//     NCCL_DEBUG_FILE=nccl.%h.%p.log nccl_tuning_probe [--gpus=N] [--max_bytes=B] [--reps=R]
//
// The log then holds, from rank 0, the "Latency/AlgBw" table of ncclTopoTuneModel (tuning.cc) at
// communicator init and, per collective, "AllReduce: <bytes> Bytes -> Algo <a> proto <p>
// channel{Lo..Hi}={lo..hi}" (enqueue.cc). The probe itself prints one line per size: bytes and the
// host-clock time per all-reduce (median of 5 samples of `reps` back-to-back calls, synchronised on
// every GPU). With NCCL's per-collective logging on, that time includes the logging; it is a
// by-product, not a calibration (bench_allreduce is). Data: calibration/profiles/h200/raw/
// run8-h200x2-nccl-tuning/. Needs only the CUDA runtime and NCCL:
//
//   g++ -O2 -std=c++17 calibration/nccl/nccl_tuning_probe.cpp -I/usr/local/cuda/include
//       -L/usr/local/cuda/lib64 -lnccl -lcudart -o nccl_tuning_probe
#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#define CHECK_CUDA(x)                                                                 \
  do {                                                                                \
    cudaError_t e_ = (x);                                                             \
    if (e_ != cudaSuccess) {                                                          \
      std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); \
      std::exit(1);                                                                   \
    }                                                                                 \
  } while (0)
#define CHECK_NCCL(x)                                                                 \
  do {                                                                                \
    ncclResult_t r_ = (x);                                                            \
    if (r_ != ncclSuccess) {                                                          \
      std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, ncclGetErrorString(r_)); \
      std::exit(1);                                                                   \
    }                                                                                 \
  } while (0)

int main(int argc, char** argv) {
  int gpus = 0, reps_arg = 0;
  std::size_t max_bytes = std::size_t{1} << 30;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--gpus=", 7) == 0) gpus = std::atoi(argv[i] + 7);
    if (std::strncmp(argv[i], "--max_bytes=", 12) == 0) max_bytes = std::strtoull(argv[i] + 12, nullptr, 10);
    if (std::strncmp(argv[i], "--reps=", 7) == 0) reps_arg = std::atoi(argv[i] + 7);
  }
  int present = 0;
  CHECK_CUDA(cudaGetDeviceCount(&present));
  if (gpus <= 0 || gpus > present) gpus = present;
  if (gpus < 2) {
    std::fprintf(stderr, "need 2+ GPUs (found %d)\n", present);
    return 1;
  }
  int version = 0;
  CHECK_NCCL(ncclGetVersion(&version));
  std::printf("nccl_version_code %d gpus %d\n", version, gpus);

  std::vector<ncclComm_t> comms(gpus);
  std::vector<int> devs(gpus);
  for (int r = 0; r < gpus; ++r) devs[r] = r;
  CHECK_NCCL(ncclCommInitAll(comms.data(), gpus, devs.data()));
  std::vector<cudaStream_t> streams(gpus);
  std::vector<void*> send(gpus), recv(gpus);
  for (int r = 0; r < gpus; ++r) {
    CHECK_CUDA(cudaSetDevice(r));
    CHECK_CUDA(cudaStreamCreateWithFlags(&streams[r], cudaStreamNonBlocking));
    CHECK_CUDA(cudaMalloc(&send[r], max_bytes));
    CHECK_CUDA(cudaMalloc(&recv[r], max_bytes));
    CHECK_CUDA(cudaMemset(send[r], 0, max_bytes));
  }
  auto all_reduce = [&](std::size_t bytes) {
    CHECK_NCCL(ncclGroupStart());
    for (int r = 0; r < gpus; ++r)
      CHECK_NCCL(ncclAllReduce(send[r], recv[r], bytes / 2, ncclBfloat16, ncclSum, comms[r], streams[r]));
    CHECK_NCCL(ncclGroupEnd());
  };
  auto sync = [&] {
    for (int r = 0; r < gpus; ++r) {
      CHECK_CUDA(cudaSetDevice(r));
      CHECK_CUDA(cudaStreamSynchronize(streams[r]));
    }
  };
  using clock = std::chrono::steady_clock;
  std::printf("%12s %6s %12s\n", "bytes", "reps", "host_us");
  for (std::size_t bytes = 1024; bytes <= max_bytes; bytes *= 2) {
    const int reps = reps_arg > 0 ? reps_arg : bytes <= (std::size_t{1} << 24) ? 10 : bytes <= (std::size_t{1} << 28) ? 4 : 2;
    for (int w = 0; w < 3; ++w) all_reduce(bytes);
    sync();
    std::vector<double> samples;
    for (int s = 0; s < 5; ++s) {
      const auto t0 = clock::now();
      for (int i = 0; i < reps; ++i) all_reduce(bytes);
      sync();
      samples.push_back(std::chrono::duration<double>(clock::now() - t0).count() / reps);
    }
    std::sort(samples.begin(), samples.end());
    std::printf("%12zu %6d %12.2f\n", bytes, reps, samples[2] * 1e6);
    std::fflush(stdout);
  }
  for (int r = 0; r < gpus; ++r) CHECK_NCCL(ncclCommDestroy(comms[r]));
  return 0;
}
