// The calibrated cost model of one op (the "calibrated" executor's building block and what the
// fitter in calibration/fitter writes):
//   - OpSchema: per op, the names of the values that select a measured series ("key", e.g. a GEMM's
//     n and k) and of the grid axes inside a series (e.g. m), and the op's roofline features.
//   - Roofline: t = overhead_s + bytes / bytes_per_s + flops / flops_per_s, fitted to all of an op's
//     points (calibration/fitter/roofline_fit.h).
//   - Series: a rectilinear grid of measured seconds over 1 or 2 axes. predict() interpolates
//     log(measured / roofline) multilinearly in log axis space and multiplies back by the roofline at
//     the query: grid points come back exactly, between them the curve follows the roofline's shape,
//     and outside the grid (clamped to the edge) the edge's ratio scales the roofline, flagged as an
//     extrapolation.
// Everything is plain C++ (no CUDA): the simulator, the fitter and the tests share it.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace kvsim {

enum class CalibratedOp : int {
  gemm,               // key n, k;          axis m
  decode_attention,   // key group, head_dim; axes requests, tokens_per_request
  prefill_attention,  // key group, head_dim; axis pairs
  allreduce,          // key gpus;          axis bytes
  elementwise,        // the per-layer bundle of TpStepComposer; axis bytes (composer's count)
  rmsnorm,            // single kernels, recorded for reports; axis bytes moved
  rope,
  silu_mul,
  kv_append,
  kv_compress,        // key group, head_dim, window, wave_keys; axes segments (requests x kv heads),
                      // prompt_tokens (wave_keys: keys one wave of resident scoring CTAs covers)
  avl_sparse,         // key group, head_dim; axes segments (requests x kv heads), tokens_per_segment
                      // (attended rows: prefix + core + text)
  avl_refresh,        // key group, head_dim; axes segments (refreshing requests x kv heads),
                      // tokens_per_segment (stored image tokens scored): A-VL's refresh after the
                      // dense attention, image scores (kernels/attention/avl_refresh.h) + core top-k
};
inline constexpr int kCalibratedOpCount = 12;

struct OpSchema {
  CalibratedOp op;
  std::string_view name;
  std::vector<std::string_view> key;
  std::vector<std::string_view> axes;
  bool required;  // a profile without it is rejected
};

const std::vector<OpSchema>& op_schemas();
const OpSchema& op_schema(CalibratedOp op);
const OpSchema* find_op_schema(std::string_view name);

struct RooflineFeatures {
  double bytes = 0;
  double flops = 0;
};

// Roofline features of op `op` at key `key` (schema order) and axis point `x` (schema order).
RooflineFeatures op_features(CalibratedOp op, const std::vector<double>& key, const std::array<double, 2>& x);

struct Roofline {
  double overhead_s = 0;
  double bytes_per_s = 0;   // 0: no bandwidth term
  double flops_per_s = 0;   // 0: no compute term
  double seconds(const RooflineFeatures& f) const {
    return overhead_s + (bytes_per_s > 0 ? f.bytes / bytes_per_s : 0.0) + (flops_per_s > 0 ? f.flops / flops_per_s : 0.0);
  }
};

struct Series {
  std::vector<double> key;                 // schema key order
  std::vector<std::vector<double>> axes;   // 1 or 2 axes, strictly ascending, positive
  std::vector<double> seconds;             // row-major over the axes, positive

  double at(std::size_t i, std::size_t j) const { return seconds[axes.size() == 1 ? i : i * axes[1].size() + j]; }
};

struct Prediction {
  double seconds = 0;
  bool extrapolated = false;  // outside the measured range on some axis: scaled by the roofline
};

// Interpolates `s` at `x` (one value per axis); see the file comment for the outside case.
Prediction predict(const Series& s, CalibratedOp op, const Roofline& roof, const std::array<double, 2>& x);

// Index of the series whose key is nearest to `key` in log space (equal keys: distance 0).
std::size_t nearest_series(const std::vector<Series>& series, const std::vector<double>& key);

}  // namespace kvsim
