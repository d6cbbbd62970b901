// PhaseTimer: per-phase GPU time of one stream, measured with CUDA events. The stream's work is cut
// at each mark(phase): the time between the previous mark (or start) and this one is charged to
// `phase`. Consecutive events on one stream partition its timeline, so phases add up to the step's
// stream time; a collective's interval includes waiting for the slowest GPU (that is the imbalance).
//   t.start(stream); gemm(...); t.mark(Phase::gemm); ...; sync; t.collect() -> seconds per phase
#pragma once

#include <cuda_runtime.h>

#include <array>
#include <cstddef>
#include <vector>

namespace kvsim::runtime {

enum class Phase : int { gemm = 0, attention, allreduce, other, count };
const char* phase_name(Phase p);

class PhaseTimer {
 public:
  PhaseTimer() = default;
  ~PhaseTimer();
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;
  PhaseTimer(PhaseTimer&& o) noexcept { swap(o); }
  PhaseTimer& operator=(PhaseTimer&& o) noexcept { swap(o); return *this; }

  void start(cudaStream_t stream);  // current device must be the stream's
  void mark(Phase phase);
  // Coarse mode (set_detailed(false) before start): mark() records nothing and stop() records the
  // step's end, so the step costs two events instead of one per mark (each event between two kernels
  // costs GPU time). In detailed mode stop() records nothing.
  void set_detailed(bool detailed) { detailed_ = detailed; }
  bool detailed() const { return detailed_; }
  void stop();
  // After the stream is synchronized: seconds per phase since start.
  std::array<double, static_cast<std::size_t>(Phase::count)> collect() const { return collect(0, marks()); }
  // The same for the intervals between mark number `from` and mark number `to` (start is mark 0).
  std::array<double, static_cast<std::size_t>(Phase::count)> collect(std::size_t from, std::size_t to) const;
  std::size_t marks() const { return used_ == 0 ? 0 : used_ - 1; }  // marks since start

 private:
  void swap(PhaseTimer& o) noexcept {
    events_.swap(o.events_);
    phases_.swap(o.phases_);
    std::swap(used_, o.used_);
    std::swap(detailed_, o.detailed_);
    std::swap(stream_, o.stream_);
  }
  cudaEvent_t next();
  std::vector<cudaEvent_t> events_;
  std::vector<Phase> phases_;  // phase of the interval ending at events_[i], i >= 1
  std::size_t used_ = 0;
  bool detailed_ = true;
  cudaStream_t stream_ = nullptr;
};

}  // namespace kvsim::runtime
