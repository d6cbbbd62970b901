// See phase_timer.h.
#include "kernels/runtime/phase_timer.h"

#include "kernels/common/cuda_check.h"

namespace kvsim::runtime {

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::gemm: return "gemm";
    case Phase::attention: return "attention";
    case Phase::allreduce: return "allreduce";
    case Phase::other: return "other";
    default: return "?";
  }
}

PhaseTimer::~PhaseTimer() {
  for (cudaEvent_t e : events_) cudaEventDestroy(e);  // no throw from a destructor
}

cudaEvent_t PhaseTimer::next() {
  if (used_ == events_.size()) {
    cudaEvent_t e;
    KVSIM_CUDA_CHECK(cudaEventCreate(&e));
    events_.push_back(e);
    phases_.push_back(Phase::other);
  }
  return events_[used_++];
}

void PhaseTimer::start(cudaStream_t stream) {
  stream_ = stream;
  used_ = 0;
  KVSIM_CUDA_CHECK(cudaEventRecord(next(), stream_));
}

void PhaseTimer::mark(Phase phase) {
  if (!detailed_) return;
  const std::size_t i = used_;
  KVSIM_CUDA_CHECK(cudaEventRecord(next(), stream_));
  phases_[i] = phase;
}

void PhaseTimer::stop() {
  if (detailed_) return;
  const std::size_t i = used_;
  KVSIM_CUDA_CHECK(cudaEventRecord(next(), stream_));
  phases_[i] = Phase::other;
}

std::array<double, static_cast<std::size_t>(Phase::count)> PhaseTimer::collect(std::size_t from, std::size_t to) const {
  std::array<double, static_cast<std::size_t>(Phase::count)> s{};
  for (std::size_t i = from + 1; i <= to && i < used_; ++i) {
    float ms = 0.0f;
    KVSIM_CUDA_CHECK(cudaEventElapsedTime(&ms, events_[i - 1], events_[i]));
    s[static_cast<std::size_t>(phases_[i])] += ms * 1e-3;
  }
  return s;
}

}  // namespace kvsim::runtime
