// Host bf16 (stored as uint16_t bits): round-to-nearest-even conversion, as __float2bfloat16 does,
// so tests can build bit-identical inputs for the GPU and the references.
#pragma once

#include <cstdint>
#include <cstring>

namespace kvsim::kernels::ref {

using bf16_bits = std::uint16_t;

inline float bf16_to_float(bf16_bits b) {
  const std::uint32_t u = static_cast<std::uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

inline bf16_bits float_to_bf16(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;  // NaN stays NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<bf16_bits>(u >> 16);
}

}  // namespace kvsim::kernels::ref
