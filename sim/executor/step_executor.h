// StepExecutor: turns a StepPlan into a StepTiming. Implementations: roofline (built in, needs no
// data), calibrated (fitted from measured profiles), cuda (runs the real kernels).
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "sim/executor/step_plan.h"

namespace kvsim {

class StepExecutor {
 public:
  virtual ~StepExecutor() = default;
  virtual std::string_view name() const = 0;
  // `out` is reset by the executor; reusing one StepTiming across steps avoids allocation.
  virtual void time_step(const StepPlan& plan, StepTiming& out) = 0;
  // Anything the summary should say about how times were produced (fallbacks, scaled layers, ...).
  virtual nlohmann::json notes() const { return nlohmann::json::object(); }
};

}  // namespace kvsim
