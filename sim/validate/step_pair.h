// StepPair: one scheduler step timed twice, by the executor that ran it (measured) and by the one
// that prices it (predicted), on the identical StepPlan. What `kvsim validate` compares.
#pragma once

#include <array>
#include <cstdint>

#include "sim/executor/step_plan.h"

namespace kvsim {

struct StepPair {
  std::int64_t step = 0;
  int decode_requests = 0;
  int prefill_tokens = 0;
  double predicted_s = 0;
  double measured_s = 0;
  // Per phase (gemm, attention, allreduce, other) on the GPU whose measured step is the longest.
  std::array<double, kPhaseCount> predicted_phase_s{};
  std::array<double, kPhaseCount> measured_phase_s{};
  // Whether the measuring executor timed this step per phase (the cuda executor times only some
  // steps so; the others have measured_phase_s all 0).
  bool measured_phases() const {
    for (double s : measured_phase_s)
      if (s > 0) return true;
    return false;
  }
  // (predicted - measured) / measured.
  double relative_error() const { return measured_s > 0 ? (predicted_s - measured_s) / measured_s : 0.0; }
  // "decode", "prefill" or "mixed".
  const char* kind() const { return prefill_tokens == 0 ? "decode" : decode_requests == 0 ? "prefill" : "mixed"; }
};

}  // namespace kvsim
