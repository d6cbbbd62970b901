// Error checking for every CUDA runtime call and kernel launch in kernels/: a failure throws
// std::runtime_error naming the file, the line and the expression, so a test or benchmark that
// trips one reports where, not just that something failed.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace kvsim::kernels {

[[noreturn]] inline void cuda_fail(cudaError_t status, const char* expr, const char* file, int line) {
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + expr + ": " +
                           cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
}

}  // namespace kvsim::kernels

#define KVSIM_CUDA_CHECK(expr)                                                      \
  do {                                                                              \
    const cudaError_t kvsim_status_ = (expr);                                       \
    if (kvsim_status_ != cudaSuccess)                                               \
      ::kvsim::kernels::cuda_fail(kvsim_status_, #expr, __FILE__, __LINE__);         \
  } while (0)

// After a <<<>>> launch: catches bad launch configurations (the kernel itself runs asynchronously).
#define KVSIM_CUDA_CHECK_LAUNCH() KVSIM_CUDA_CHECK(cudaGetLastError())
