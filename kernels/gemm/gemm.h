// bf16 GEMM through cuBLASLt, in the layout of a transformer's linear layers:
//   y[m][n] = sum_k x[m][k] * w[n][k]      (x row-major [m,k]; w row-major [n,k], as PyTorch stores
//                                            nn.Linear weights; y row-major [m,n]; fp32 accumulation)
// A GemmPlan holds the descriptors and the heuristic's algorithm for one (m, n, k); build it once
// per shape (host work, tens of microseconds) and launch it many times. Every cuBLASLt call is
// checked with file and line.
//
//   kvsim::kernels::GemmHandle h;                 // one per device (cublasLt handle + workspace)
//   kvsim::kernels::GemmPlan p(h, m, n, k);
//   p.run(h, x, w, y, stream);
//
// Used by calibration/gemm/bench_gemm.cpp (the calibration of OpCosts::gemm_s) and meant for the
// runtime's linear layers.
#pragma once

#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace kvsim::kernels {

[[noreturn]] void cublas_fail(cublasStatus_t status, const char* expr, const char* file, int line);

#define KVSIM_CUBLAS_CHECK(expr)                                                          \
  do {                                                                                    \
    const cublasStatus_t kvsim_cublas_status_ = (expr);                                   \
    if (kvsim_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                    \
      ::kvsim::kernels::cublas_fail(kvsim_cublas_status_, #expr, __FILE__, __LINE__);     \
  } while (0)

// The cuBLASLt handle and the workspace its algorithms may use (32 MiB, as PyTorch gives Hopper).
class GemmHandle {
 public:
  explicit GemmHandle(std::size_t workspace_bytes = std::size_t{32} << 20);
  ~GemmHandle();
  GemmHandle(const GemmHandle&) = delete;
  GemmHandle& operator=(const GemmHandle&) = delete;

  cublasLtHandle_t lt() const { return lt_; }
  void* workspace() const { return workspace_; }
  std::size_t workspace_bytes() const { return workspace_bytes_; }

 private:
  cublasLtHandle_t lt_ = nullptr;
  void* workspace_ = nullptr;
  std::size_t workspace_bytes_ = 0;
};

class GemmPlan {
 public:
  GemmPlan(const GemmHandle& h, int64_t m, int64_t n, int64_t k);
  ~GemmPlan();
  GemmPlan(const GemmPlan&) = delete;
  GemmPlan& operator=(const GemmPlan&) = delete;

  void run(const GemmHandle& h, const __nv_bfloat16* x, const __nv_bfloat16* w, __nv_bfloat16* y,
           cudaStream_t stream) const;

  int64_t m() const { return m_; }
  int64_t n() const { return n_; }
  int64_t k() const { return k_; }
  double flops() const { return 2.0 * static_cast<double>(m_) * static_cast<double>(n_) * static_cast<double>(k_); }
  // Bytes a perfect kernel moves: x and w read once, y written once.
  double min_bytes() const {
    return 2.0 * (static_cast<double>(m_) * k_ + static_cast<double>(n_) * k_ + static_cast<double>(m_) * n_);
  }

 private:
  int64_t m_, n_, k_;
  cublasLtMatmulDesc_t op_ = nullptr;
  cublasLtMatrixLayout_t w_layout_ = nullptr, x_layout_ = nullptr, y_layout_ = nullptr;
  cublasLtMatmulAlgo_t algo_{};
};

}  // namespace kvsim::kernels
