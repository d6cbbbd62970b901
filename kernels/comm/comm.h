// LocalComm: the NCCL communicators this process drives, one per GPU it drives ("member"), each with
// its own stream. Two ways to make one:
//   LocalComm(gpus) / LocalComm(devices)   every GPU of the group is local (ncclCommInitAll); member i
//                                          is rank i on devices[i] (default devices 0 .. gpus-1)
//   LocalComm(id, rank, world, device)     one rank of a multi-process group (ncclCommInitRank); the
//                                          ncclUniqueId comes from LocalComm::unique_id() on rank 0 and
//                                          is shared by the caller (e.g. MPI_Bcast); one member
// all_reduce launches a bf16 sum on every member inside one NCCL group (one host thread drives all);
// all_reduce_member launches it on one member only, for a design with one host thread per GPU (NCCL
// allows one thread per communicator; no group across threads). abort() ends every communicator
// (ncclCommAbort) so that kernels waiting on a peer that will never come return: after a failure.
// Every NCCL and CUDA call is checked: a failure throws std::runtime_error with file, line, the call
// and NCCL's error string.
//
//   kvsim::kernels::LocalComm comm(2);                 // GPUs 0 and 1
//   comm.all_reduce(send, recv /* one device pointer per GPU each */, count);
//   comm.synchronize();
//
// Used by calibration/nccl/bench_allreduce.cpp (the calibration of OpCosts::allreduce_s) and by the
// decoder runtime (kernels/runtime/decoder_runtime.h).
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
  explicit LocalComm(const std::vector<int>& devices);
  LocalComm(const ncclUniqueId& id, int rank, int world, int device);
  ~LocalComm();
  LocalComm(const LocalComm&) = delete;
  LocalComm& operator=(const LocalComm&) = delete;

  int size() const { return static_cast<int>(comms_.size()); }  // members (GPUs this process drives)
  int world() const { return world_; }                          // ranks in the whole group
  int rank(int member) const { return ranks_[static_cast<std::size_t>(member)]; }
  int device(int member) const { return devices_[static_cast<std::size_t>(member)]; }
  cudaStream_t stream(int member) const { return streams_[static_cast<std::size_t>(member)]; }
  // bf16 sum of `count` elements: recv[r] = sum over ranks of send[r] (both on GPU r; may alias).
  void all_reduce(const std::vector<const void*>& send, const std::vector<void*>& recv, std::size_t count) const;
  // The same on one member only, from the thread that drives it (the caller sets its device).
  void all_reduce_member(int member, const void* send, void* recv, std::size_t count) const;
  void synchronize() const;
  // Throws if NCCL reports an asynchronous error on the member's communicator (e.g. a lost peer).
  void check_async(int member) const;
  void abort();
  // A fresh id for LocalComm(id, ...), made once (by rank 0) and given to every rank.
  static ncclUniqueId unique_id();
  // "2.28.3"
  static std::string version();

 private:
  void make_streams();
  std::vector<ncclComm_t> comms_;
  std::vector<cudaStream_t> streams_;
  std::vector<int> devices_, ranks_;
  int world_ = 0;
};

}  // namespace kvsim::kernels
