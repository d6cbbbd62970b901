// See comm.h.
#include "kernels/comm/comm.h"

#include "kernels/common/cuda_check.h"

#include <algorithm>
#include <stdexcept>

namespace kvsim::kernels {

void nccl_fail(ncclResult_t status, const char* expr, const char* file, int line) {
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + expr + ": " +
                           ncclGetErrorString(status));
}

namespace {

std::vector<int> first_devices(int gpus) {
  std::vector<int> devs(static_cast<std::size_t>(std::max(gpus, 0)));
  for (int r = 0; r < gpus; ++r) devs[static_cast<std::size_t>(r)] = r;
  return devs;
}

void check_device(int device, int available) {
  if (device < 0 || device >= available)
    throw std::invalid_argument("LocalComm: device " + std::to_string(device) + " asked for, " +
                                std::to_string(available) + " present");
}

}  // namespace

LocalComm::LocalComm(int gpus) : LocalComm(first_devices(gpus)) {}

LocalComm::LocalComm(const std::vector<int>& devices) {
  int available = 0;
  KVSIM_CUDA_CHECK(cudaGetDeviceCount(&available));
  if (devices.empty()) throw std::invalid_argument("LocalComm: no GPUs asked for");
  for (int d : devices) check_device(d, available);
  const int n = static_cast<int>(devices.size());
  devices_ = devices;
  world_ = n;
  for (int r = 0; r < n; ++r) ranks_.push_back(r);
  comms_.resize(devices.size());
  KVSIM_NCCL_CHECK(ncclCommInitAll(comms_.data(), n, devices_.data()));
  make_streams();
}

LocalComm::LocalComm(const ncclUniqueId& id, int rank, int world, int device) {
  int available = 0;
  KVSIM_CUDA_CHECK(cudaGetDeviceCount(&available));
  check_device(device, available);
  if (world < 1 || rank < 0 || rank >= world)
    throw std::invalid_argument("LocalComm: rank " + std::to_string(rank) + " of " + std::to_string(world));
  devices_ = {device};
  ranks_ = {rank};
  world_ = world;
  comms_.resize(1);
  KVSIM_CUDA_CHECK(cudaSetDevice(device));
  KVSIM_NCCL_CHECK(ncclCommInitRank(&comms_[0], world, id, rank));
  make_streams();
}

void LocalComm::make_streams() {
  streams_.assign(comms_.size(), nullptr);
  for (std::size_t r = 0; r < comms_.size(); ++r) {
    KVSIM_CUDA_CHECK(cudaSetDevice(devices_[r]));
    KVSIM_CUDA_CHECK(cudaStreamCreateWithFlags(&streams_[r], cudaStreamNonBlocking));
  }
}

LocalComm::~LocalComm() {
  for (std::size_t r = 0; r < comms_.size(); ++r) {
    cudaSetDevice(devices_[r]);
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

void LocalComm::all_reduce_member(int member, const void* send, void* recv, std::size_t count) const {
  const std::size_t r = static_cast<std::size_t>(member);
  if (r >= comms_.size()) throw std::invalid_argument("LocalComm::all_reduce_member: no member " + std::to_string(member));
  if (comms_[r] == nullptr) throw std::runtime_error("LocalComm::all_reduce_member: communicator aborted");
  KVSIM_NCCL_CHECK(ncclAllReduce(send, recv, count, ncclBfloat16, ncclSum, comms_[r], streams_[r]));
}

void LocalComm::synchronize() const {
  for (std::size_t r = 0; r < comms_.size(); ++r) {
    KVSIM_CUDA_CHECK(cudaSetDevice(devices_[r]));
    KVSIM_CUDA_CHECK(cudaStreamSynchronize(streams_[r]));
  }
}

void LocalComm::check_async(int member) const {
  const ncclComm_t c = comms_.at(static_cast<std::size_t>(member));
  if (c == nullptr) throw std::runtime_error("LocalComm: communicator of member " + std::to_string(member) + " aborted");
  ncclResult_t async = ncclSuccess;
  KVSIM_NCCL_CHECK(ncclCommGetAsyncError(c, &async));
  if (async != ncclSuccess && async != ncclInProgress)
    nccl_fail(async, "ncclCommGetAsyncError (asynchronous NCCL error)", __FILE__, __LINE__);
}

void LocalComm::abort() {
  for (std::size_t r = 0; r < comms_.size(); ++r) {
    if (comms_[r] == nullptr) continue;
    cudaSetDevice(devices_[r]);
    ncclCommAbort(comms_[r]);  // best effort: we are already handling a failure
    comms_[r] = nullptr;
  }
}

ncclUniqueId LocalComm::unique_id() {
  ncclUniqueId id;
  KVSIM_NCCL_CHECK(ncclGetUniqueId(&id));
  return id;
}

std::string LocalComm::version() {
  int v = 0;
  KVSIM_NCCL_CHECK(ncclGetVersion(&v));
  // NCCL >= 2.9 encodes major*10000 + minor*100 + patch.
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

}  // namespace kvsim::kernels
