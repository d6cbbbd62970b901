// See comm.h.
#include "kernels/comm/comm.h"

#include "kernels/common/cuda_check.h"

#include <stdexcept>

namespace kvsim::kernels {

void nccl_fail(ncclResult_t status, const char* expr, const char* file, int line) {
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + expr + ": " +
                           ncclGetErrorString(status));
}

LocalComm::LocalComm(int gpus) {
  int available = 0;
  KVSIM_CUDA_CHECK(cudaGetDeviceCount(&available));
  if (gpus < 1 || gpus > available)
    throw std::invalid_argument("LocalComm: asked for " + std::to_string(gpus) + " GPUs, " +
                                std::to_string(available) + " present");
  comms_.resize(static_cast<std::size_t>(gpus));
  streams_.resize(static_cast<std::size_t>(gpus));
  std::vector<int> devs(static_cast<std::size_t>(gpus));
  for (int r = 0; r < gpus; ++r) devs[static_cast<std::size_t>(r)] = r;
  KVSIM_NCCL_CHECK(ncclCommInitAll(comms_.data(), gpus, devs.data()));
  for (int r = 0; r < gpus; ++r) {
    KVSIM_CUDA_CHECK(cudaSetDevice(r));
    KVSIM_CUDA_CHECK(cudaStreamCreateWithFlags(&streams_[static_cast<std::size_t>(r)], cudaStreamNonBlocking));
  }
}

LocalComm::~LocalComm() {
  for (std::size_t r = 0; r < comms_.size(); ++r) {
    cudaSetDevice(static_cast<int>(r));
    if (streams_[r] != nullptr) cudaStreamDestroy(streams_[r]);
    if (comms_[r] != nullptr) ncclCommDestroy(comms_[r]);
  }
}

void LocalComm::all_reduce(const std::vector<const void*>& send, const std::vector<void*>& recv, std::size_t count) const {
  if (send.size() != comms_.size() || recv.size() != comms_.size())
    throw std::invalid_argument("LocalComm::all_reduce: one send and one receive buffer per GPU");
  KVSIM_NCCL_CHECK(ncclGroupStart());
  for (std::size_t r = 0; r < comms_.size(); ++r)
    KVSIM_NCCL_CHECK(ncclAllReduce(send[r], recv[r], count, ncclBfloat16, ncclSum, comms_[r], streams_[r]));
  KVSIM_NCCL_CHECK(ncclGroupEnd());
}

void LocalComm::synchronize() const {
  for (std::size_t r = 0; r < comms_.size(); ++r) {
    KVSIM_CUDA_CHECK(cudaSetDevice(static_cast<int>(r)));
    KVSIM_CUDA_CHECK(cudaStreamSynchronize(streams_[r]));
  }
}

std::string LocalComm::version() {
  int v = 0;
  KVSIM_NCCL_CHECK(ncclGetVersion(&v));
  // NCCL >= 2.9 encodes major*10000 + minor*100 + patch.
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

}  // namespace kvsim::kernels
