// CPU references (double accumulation) of kernels/ops/ops.h, on bf16 bits (kernels/reference/bf16.h).
// Used by calibration/ops/bench_ops.cpp to check each kernel before timing it.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/reference/bf16.h"

namespace kvsim::kernels::ref {

inline std::vector<float> rmsnorm_ref(const std::vector<bf16_bits>& x, const std::vector<bf16_bits>& w, int64_t rows,
                                      int hidden, double eps) {
  std::vector<float> y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double ss = 0;
    for (int i = 0; i < hidden; ++i) {
      const double v = bf16_to_float(x[r * hidden + i]);
      ss += v * v;
    }
    const double inv = 1.0 / std::sqrt(ss / hidden + eps);
    for (int i = 0; i < hidden; ++i)
      y[r * hidden + i] = static_cast<float>(bf16_to_float(x[r * hidden + i]) * inv * bf16_to_float(w[i]));
  }
  return y;
}

// Rotates one [tokens][heads][d] tensor in place (as floats).
inline std::vector<float> rope_ref(const std::vector<bf16_bits>& x, const std::vector<int32_t>& pos, int heads, int d,
                                   double theta) {
  std::vector<float> y(x.size());
  const int64_t tokens = static_cast<int64_t>(pos.size());
  for (int64_t t = 0; t < tokens; ++t)
    for (int h = 0; h < heads; ++h)
      for (int i = 0; i < d / 2; ++i) {
        const double ang = pos[t] * std::pow(theta, -2.0 * i / d);
        const int64_t base = (t * heads + h) * d;
        const double a = bf16_to_float(x[base + i]), b = bf16_to_float(x[base + i + d / 2]);
        y[base + i] = static_cast<float>(a * std::cos(ang) - b * std::sin(ang));
        y[base + i + d / 2] = static_cast<float>(b * std::cos(ang) + a * std::sin(ang));
      }
  return y;
}

inline std::vector<float> silu_mul_ref(const std::vector<bf16_bits>& gu, int64_t rows, int width) {
  std::vector<float> y(static_cast<std::size_t>(rows) * width);
  for (int64_t r = 0; r < rows; ++r)
    for (int i = 0; i < width; ++i) {
      const double g = bf16_to_float(gu[r * 2 * width + i]), u = bf16_to_float(gu[r * 2 * width + width + i]);
      y[r * width + i] = static_cast<float>(g / (1.0 + std::exp(-g)) * u);
    }
  return y;
}

// ||out - ref|| / ||ref||; NaN in out gives NaN (which fails any "< tol" check).
inline double relative_error(const std::vector<bf16_bits>& out, const std::vector<float>& ref) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double d = static_cast<double>(bf16_to_float(out[i])) - ref[i];
    num += d * d;
    den += static_cast<double>(ref[i]) * ref[i];
  }
  return std::sqrt(num / (den > 0 ? den : 1.0));
}

}  // namespace kvsim::kernels::ref
