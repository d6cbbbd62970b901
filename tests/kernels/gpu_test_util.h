// Helpers of the GPU kernel tests: fresh random inputs every run (seed printed for replay, or
// KVSIM_TEST_SEED to repeat one), bf16 buffers on the device, poisoning, relative errors.
// KVSIM_TEST_SMALL=1 shrinks every case so compute-sanitizer runs finish in a minute or two.
#pragma once

#include "kernels/common/device_buffer.h"
#include "kernels/reference/bf16.h"

#include <cuda_bf16.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>
#include <vector>

namespace kvsim::kernels::test {

using ref::bf16_bits;

inline bool small_mode() {
  const char* s = std::getenv("KVSIM_TEST_SMALL");
  return s != nullptr && s[0] == '1';
}

inline std::mt19937_64 fresh_rng(const char* what) {
  uint64_t seed = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  if (const char* s = std::getenv("KVSIM_TEST_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::printf("%s: seed %llu (KVSIM_TEST_SEED to repeat)\n", what, static_cast<unsigned long long>(seed));
  return std::mt19937_64(seed);
}

inline std::vector<bf16_bits> random_bf16(std::size_t n, std::mt19937_64& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<bf16_bits> out(n);
  for (auto& x : out) x = ref::float_to_bf16(dist(rng));
  return out;
}

inline __nv_bfloat16* bf(DeviceBuffer<bf16_bits>& b) { return reinterpret_cast<__nv_bfloat16*>(b.data()); }
inline const __nv_bfloat16* bf(const DeviceBuffer<bf16_bits>& b) {
  return reinterpret_cast<const __nv_bfloat16*>(b.data());
}

template <class T>
DeviceBuffer<T> to_device(const std::vector<T>& host) {
  return DeviceBuffer<T>(std::span<const T>(host));
}

// ||got - ref|| / ||ref|| over [begin, begin + n); NaN anywhere gives +inf. ref all zero: max |got|.
template <class Get>
double rel_error(Get got, std::span<const double> ref, std::size_t begin, std::size_t n) {
  double diff = 0.0, norm = 0.0;
  for (std::size_t i = begin; i < begin + n; ++i) {
    const double g = got(i);
    if (!std::isfinite(g)) return INFINITY;
    diff += (g - ref[i]) * (g - ref[i]);
    norm += ref[i] * ref[i];
  }
  return norm > 0.0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

// Worst relative error over rows of `row` values of a bf16 output.
inline double worst_row_error(const std::vector<bf16_bits>& got, const std::vector<double>& ref, std::size_t row) {
  double worst = 0.0;
  for (std::size_t r = 0; r * row < ref.size(); ++r)
    worst = std::max(worst, rel_error([&](std::size_t i) { return double{ref::bf16_to_float(got[i])}; },
                                      ref, r * row, row));
  return worst;
}

}  // namespace kvsim::kernels::test
