// step_plot_svg(): a self-contained SVG of one validation run: each step's measured and predicted
// time against the step index (log scale), and below it the per-step relative error.
#pragma once

#include <string>
#include <vector>

#include "sim/validate/step_pair.h"

namespace kvsim {

std::string step_plot_svg(const std::string& title, const std::vector<StepPair>& pairs);

}  // namespace kvsim
