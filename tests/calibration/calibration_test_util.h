// Synthetic profiles for the calibration tests: every op measured on a grid whose seconds come
// from a known function (by default the roofline executor itself), so answers are known exactly.
#pragma once

#include <functional>

#include "calibration/fitter/fit_profile.h"
#include "sim/executor/roofline_costs.h"

namespace kvsim::testing {

inline GpuSpec test_gpu() {
  return {.name = "test-gpu", .memory_bytes = 1LL << 40, .hbm_bytes_per_s = 4e12, .bf16_flops_per_s = 8e14,
          .interconnect_bytes_per_s = 3e11, .interconnect_latency_s = 1e-5};
}

inline std::vector<double> powers_of_two(double from, double to) {
  std::vector<double> v;
  for (double x = from; x <= to; x *= 2) v.push_back(x);
  return v;
}

// Measured points of every required op (and the all-reduce for 2 GPUs) from `costs`, on grids
// covering the shapes of the tiny test models: GEMM over m = 1..16384 at the (n, k) given.
inline std::vector<calib::MeasuredPoint> points_from(const OpCosts& costs,
                                                      const std::vector<std::pair<double, double>>& gemm_nk) {
  std::vector<calib::MeasuredPoint> pts;
  for (const auto& [n, k] : gemm_nk)
    for (double m : powers_of_two(1, 16384))
      pts.push_back({CalibratedOp::gemm, {n, k}, {m, 0}, costs.gemm_s(m, n, k), ""});
  for (double g : {1.0, 4.0, 8.0})
    for (double r : powers_of_two(1, 256))
      for (double t : powers_of_two(256, 65536))
        pts.push_back({CalibratedOp::decode_attention, {g, 128}, {r, t},
                       costs.decode_attention_s(r * t, static_cast<int>(r), static_cast<int>(g), 128), ""});
  for (double g : {1.0, 4.0, 8.0})
    for (double p : powers_of_two(1e4, 1e10))
      pts.push_back({CalibratedOp::prefill_attention, {g, 128}, {p, 0}, costs.prefill_attention_s(p, static_cast<int>(g), 128), ""});
  for (double b : powers_of_two(1024, 1 << 30))
    pts.push_back({CalibratedOp::allreduce, {2}, {b, 0}, costs.allreduce_s(b, 2), ""});
  for (double b : powers_of_two(1e3, 1e10)) pts.push_back({CalibratedOp::elementwise, {}, {b, 0}, costs.elementwise_s(b), ""});
  return pts;
}

inline nlohmann::json test_environment() {
  return {{"gpu_name", "test-gpu"}, {"gpu_count", 2}, {"driver", "0"}, {"cuda", "0"},
          {"nccl", "0"}, {"date", "2000-01-01"}, {"commit", "test"}};
}

}  // namespace kvsim::testing
