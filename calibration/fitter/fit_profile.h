// The fitter: benchmark JSON (Google Benchmark's --benchmark_out format, as every program under
// calibration/ writes it) -> measured points -> a CalibrationProfile (sim/executor/calibration_profile.h):
// per op, grids of the measured seconds, a roofline fitted to all of the op's points, and the
// leave-one-out error of the grid interpolation (each point predicted from the others exactly as the
// calibrated executor would predict an unmeasured point).
//
// Benchmark names select the op (text before the first '/'); counters give the features:
//   gemm/…          n, k, m                      -> gemm
//   decode/…        group, head_dim, requests, kv_tokens (skew:1 -> checks, not the grid)
//   prefill/…       group, head_dim, pairs
//   allreduce/…     gpus, bytes
//   kv_compress/…   group, head_dim, window, wave_keys, segments, prompt_tokens
//   avl_sparse/…    group, head_dim, segments, kv_tokens (attended rows over all segments)
//                   (kv_compress/avl_sparse entries without "segments", from the one-axis "bytes"
//                   grids of earlier runs, are ignored)
//   avl_refresh/…   group, head_dim, segments (refreshing requests x kv heads), kv_tokens (image
//                   rows scored over all segments) (off_grid:1 -> checks "other_kv_heads", not the grid)
//   elementwise/…, rmsnorm/…, rope/…, silu_mul/…, kv_append/…: bytes
// Time: the "seconds" counter, else real_time in its time_unit. Other names are ignored (counted).
#pragma once

#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/executor/calibration_profile.h"

namespace kvsim::calib {

struct MeasuredPoint {
  CalibratedOp op = CalibratedOp::gemm;
  std::vector<double> key;        // schema key order
  std::array<double, 2> x{};      // schema axis order
  double seconds = 0;
  std::string check;              // non-empty: not part of the grid, reported under checks/<check>
  double shape = 0;               // key-less ops: the "hidden" counter, if any (see fit_profile)
};

struct BenchmarkFile {
  std::vector<MeasuredPoint> points;
  nlohmann::json context = nlohmann::json::object();
  int ignored = 0;  // entries with another name, errors, aggregates
};

// Throws InputError (file, pointer, expected, found) on a document that is not benchmark output.
BenchmarkFile read_benchmark_json(const nlohmann::json& doc, const std::string& file);

// Groups points by (op, key) into complete rectilinear grids (rows or columns of a 2-axis grid
// with missing cells are dropped), fits each op's roofline, computes leave-one-out errors and checks.
// A key-less op measured at several shapes (e.g. the elementwise bundle at three hidden sizes) keeps
// the most densely measured shape as its grid; the others become the check "other_shapes", which
// says how well the op's single feature (bytes) carries over to shapes the grid did not sweep.
// `environment` is copied into the profile as is.
CalibrationProfile fit_profile(const std::vector<MeasuredPoint>& points, const nlohmann::json& environment);

// Leave-one-out relative errors of one op: each grid point is removed and predicted from the rest of
// its row (and, on a 2-axis grid, separately from the rest of its column); the edge of a grid is
// predicted by the roofline-scaled extrapolation. Exposed for the tests.
std::vector<double> leave_one_out_errors(CalibratedOp op, const OpProfile& prof);

// Targets of issue 5: median leave-one-out error at most 5 %, p90 at most 15 %.
inline bool meets_accuracy_target(const LooStats& s) { return s.points > 0 && s.median <= 0.05 && s.p90 <= 0.15; }

}  // namespace kvsim::calib
