// See gemm.h. Column-major view used by cuBLASLt: y^T[n,m] = w[n,k]-as-(k x n)^T * x^T[k,m], i.e.
// A = w with transa = T (lda = k), B = x with no transpose (ldb = k), C = D = y^T (ldc = n): the
// "TN" layout cuBLAS is fastest at on Hopper.
#include "kernels/gemm/gemm.h"

#include "kernels/common/cuda_check.h"

namespace kvsim::kernels {

void cublas_fail(cublasStatus_t status, const char* expr, const char* file, int line) {
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + expr + ": cuBLAS status " +
                           std::to_string(static_cast<int>(status)));
}

GemmHandle::GemmHandle(std::size_t workspace_bytes) : workspace_bytes_(workspace_bytes) {
  KVSIM_CUBLAS_CHECK(cublasLtCreate(&lt_));
  KVSIM_CUDA_CHECK(cudaMalloc(&workspace_, workspace_bytes_));
}

GemmHandle::~GemmHandle() {
  if (workspace_ != nullptr) cudaFree(workspace_);
  if (lt_ != nullptr) cublasLtDestroy(lt_);
}

GemmPlan::GemmPlan(const GemmHandle& h, int64_t m, int64_t n, int64_t k) : m_(m), n_(n), k_(k) {
  if (m <= 0 || n <= 0 || k <= 0) throw std::invalid_argument("GemmPlan: m, n and k must be positive");
  KVSIM_CUBLAS_CHECK(cublasLtMatmulDescCreate(&op_, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t trans_a = CUBLAS_OP_T, trans_b = CUBLAS_OP_N;
  KVSIM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSA, &trans_a, sizeof trans_a));
  KVSIM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSB, &trans_b, sizeof trans_b));
  KVSIM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&w_layout_, CUDA_R_16BF, k, n, k));
  KVSIM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&x_layout_, CUDA_R_16BF, k, m, k));
  KVSIM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&y_layout_, CUDA_R_16BF, n, m, n));

  cublasLtMatmulPreference_t pref = nullptr;
  KVSIM_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  const std::size_t ws = h.workspace_bytes();
  KVSIM_CUBLAS_CHECK(
      cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t st =
      cublasLtMatmulAlgoGetHeuristic(h.lt(), op_, w_layout_, x_layout_, y_layout_, y_layout_, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  KVSIM_CUBLAS_CHECK(st);
  if (found == 0)
    throw std::runtime_error("cuBLASLt found no bf16 algorithm for m=" + std::to_string(m) + " n=" +
                             std::to_string(n) + " k=" + std::to_string(k));
  algo_ = result.algo;
}

GemmPlan::~GemmPlan() {
  if (y_layout_ != nullptr) cublasLtMatrixLayoutDestroy(y_layout_);
  if (x_layout_ != nullptr) cublasLtMatrixLayoutDestroy(x_layout_);
  if (w_layout_ != nullptr) cublasLtMatrixLayoutDestroy(w_layout_);
  if (op_ != nullptr) cublasLtMatmulDescDestroy(op_);
}

void GemmPlan::run(const GemmHandle& h, const __nv_bfloat16* x, const __nv_bfloat16* w, __nv_bfloat16* y,
                   cudaStream_t stream) const {
  const float alpha = 1.0f, beta = 0.0f;
  KVSIM_CUBLAS_CHECK(cublasLtMatmul(h.lt(), op_, &alpha, w, w_layout_, x, x_layout_, &beta, y, y_layout_, y,
                                    y_layout_, &algo_, h.workspace(), h.workspace_bytes(), stream));
}

}  // namespace kvsim::kernels
