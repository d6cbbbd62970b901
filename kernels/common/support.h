// The answer of every kernel's `supported(params)`: whether the kernel can run these parameters,
// and if not, why (one line a caller can print). Plain C++; no CUDA needed.
#pragma once

#include <string>

namespace kvsim::kernels {

struct Support {
  bool ok = true;
  std::string why;  // empty when ok

  explicit operator bool() const { return ok; }
  static Support yes() { return {}; }
  static Support no(std::string reason) { return {false, std::move(reason)}; }
};

}  // namespace kvsim::kernels
