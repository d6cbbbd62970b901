// LocalComm: one NCCL communicator per local GPU, driven from a single process (ncclCommInitAll),
// with one stream per GPU; all_reduce launches a bf16 sum on every GPU inside one NCCL group.
// Every NCCL and CUDA call is checked with file and line.
//
//   kvsim::kernels::LocalComm comm(2);                 // GPUs 0 and 1
//   comm.all_reduce(send, recv /* one device pointer per GPU each */, count);
//   comm.synchronize();
//
// Used by calibration/nccl/bench_allreduce.cpp (the calibration of OpCosts::allreduce_s).
#pragma once

#include <cuda_runtime.h>
#include <nccl.h>

#include <cstddef>
#include <string>
#include <vector>

namespace kvsim::kernels {

[[noreturn]] void nccl_fail(ncclResult_t status, const char* expr, const char* file, int line);

#define KVSIM_NCCL_CHECK(expr)                                                         \
  do {                                                                                 \
    const ncclResult_t kvsim_nccl_status_ = (expr);                                    \
    if (kvsim_nccl_status_ != ncclSuccess)                                             \
      ::kvsim::kernels::nccl_fail(kvsim_nccl_status_, #expr, __FILE__, __LINE__);      \
  } while (0)

class LocalComm {
 public:
  explicit LocalComm(int gpus);
  ~LocalComm();
  LocalComm(const LocalComm&) = delete;
  LocalComm& operator=(const LocalComm&) = delete;

  int size() const { return static_cast<int>(comms_.size()); }
  cudaStream_t stream(int rank) const { return streams_[static_cast<std::size_t>(rank)]; }
  // bf16 sum of `count` elements: recv[r] = sum over ranks of send[r] (both on GPU r; may alias).
  void all_reduce(const std::vector<const void*>& send, const std::vector<void*>& recv, std::size_t count) const;
  void synchronize() const;
  // "2.28.3"
  static std::string version();

 private:
  std::vector<ncclComm_t> comms_;
  std::vector<cudaStream_t> streams_;
};

}  // namespace kvsim::kernels
