// CalibrationProfile: what calibration/fitter (kvsim-fit) writes and the calibrated executor reads,
// calibration/profiles/<gpu>/<name>.json. Schema (version 1):
//
//   { "schema": "kvsim.calibration_profile", "version": 1,
//     "environment": { "gpu_name", "gpu_count", "driver", "cuda", "nccl", "date", "commit", ... },
//     "ops": { "<op>": { "roofline": {"overhead_s", "bytes_per_s", "flops_per_s"},
//                        "loo": {"median", "p90", "max", "points"},       // leave-one-out |rel err|
//                        "series": [ {"key": {<key names>: v}, "axes": {<axis names>: [..]},
//                                     "seconds": [..] /* row-major over the axes */} ],
//                        "checks": { ... }                                  // free-form, reported
//   } },
//     "collective_issue": { "per_gpu_s", "per_gpu_channel_s", "fit": { ... } }   // optional
//   }
//
// collective_issue: the host's cost of issuing one NCCL collective (sim/topology/collective_issue.h),
// fitted by kvsim-fit --issue-from; "fit" says from what (free-form, reported).
//
// Op, key and axis names are those of op_schemas() (cost_model.h). Loading validates everything and
// throws InputError(file, JSON pointer, expected, found): corrupt JSON, unknown version, a missing
// required op, a grid whose axes are not ascending or whose size does not match its seconds.
#pragma once

#include <array>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/executor/cost_model.h"
#include "sim/topology/collective_issue.h"

namespace kvsim {

inline constexpr int kProfileVersion = 1;
inline constexpr const char* kProfileSchema = "kvsim.calibration_profile";

struct LooStats {
  double median = 0;
  double p90 = 0;
  double max = 0;
  int points = 0;
};

struct OpProfile {
  Roofline roofline;
  LooStats loo;
  std::vector<Series> series;
  nlohmann::json checks = nlohmann::json::object();
};

struct CalibrationProfile {
  std::string file;                       // where it was loaded from (for messages)
  nlohmann::json environment = nlohmann::json::object();
  std::array<std::optional<OpProfile>, kCalibratedOpCount> ops;
  std::optional<CollectiveIssue> collective_issue;
  nlohmann::json collective_issue_fit = nlohmann::json::object();  // how it was fitted

  const std::optional<OpProfile>& op(CalibratedOp o) const { return ops[static_cast<std::size_t>(o)]; }
  std::optional<OpProfile>& op(CalibratedOp o) { return ops[static_cast<std::size_t>(o)]; }
};

CalibrationProfile load_profile(const std::string& path);
// Validates and converts an already-parsed document; `file` names it in errors.
CalibrationProfile parse_profile(const nlohmann::json& doc, const std::string& file);
nlohmann::json profile_to_json(const CalibrationProfile& p);

}  // namespace kvsim
