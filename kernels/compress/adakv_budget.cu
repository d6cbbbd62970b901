// AdaKV budget allocation: row descriptors, one layer-wide top-k per request, per-head counts.
#include "kernels/compress/adakv_budget.h"

#include "kernels/common/cuda_check.h"
#include "kernels/topk/topk.h"

namespace kvsim::kernels {
namespace {

struct Rows {
  int64_t* begin;
  int64_t* out_begin;
  int32_t* len;
  int32_t* k;
  int32_t* idx;
};

Rows carve(const AdakvBudgetParams& p, void* workspace) {
  auto* i64 = static_cast<int64_t*>(workspace);
  Rows r;
  r.begin = i64;
  r.out_begin = i64 + p.num_requests;
  r.len = reinterpret_cast<int32_t*>(i64 + 2 * p.num_requests);
  r.k = r.len + p.num_requests;
  r.idx = r.k + p.num_requests;
  return r;
}

__global__ void adakv_rows_kernel(AdakvBudgetParams p, int32_t pooled_per_head, Rows r) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= p.num_requests) return;
  const int32_t begin = p.cu_seqlens[b];
  const int32_t n = p.cu_seqlens[b + 1] - begin;
  const int32_t n_prefix = n - min(p.window, n);
  r.begin[b] = static_cast<int64_t>(p.num_kv_heads) * begin;
  r.out_begin[b] = r.begin[b];
  r.len[b] = p.num_kv_heads * n;  // window positions hold -inf and are never among the top k
  r.k[b] = p.num_kv_heads * min(pooled_per_head, n_prefix);
}

__global__ void adakv_count_kernel(AdakvBudgetParams p, int32_t floor_tokens, Rows r) {
  extern __shared__ int counts[];
  const int b = blockIdx.x;
  const int32_t n = p.cu_seqlens[b + 1] - p.cu_seqlens[b];
  const int32_t n_prefix = n - min(p.window, n);
  for (int h = threadIdx.x; h < p.num_kv_heads; h += blockDim.x) counts[h] = 0;
  __syncthreads();
  const int32_t* idx = r.idx + r.out_begin[b];
  for (int i = threadIdx.x; i < r.k[b]; i += blockDim.x) atomicAdd(&counts[idx[i] / n], 1);
  __syncthreads();
  for (int h = threadIdx.x; h < p.num_kv_heads; h += blockDim.x)
    p.budgets[static_cast<int64_t>(b) * p.num_kv_heads + h] = min(n_prefix, floor_tokens + counts[h]);
}

}  // namespace

Support supported(const AdakvBudgetParams& p) {
  if (p.num_requests > 0 && (p.scores == nullptr || p.cu_seqlens == nullptr || p.budgets == nullptr))
    return Support::no("adakv_budget: scores, cu_seqlens and budgets must be set");
  if (p.num_kv_heads < 1 || p.num_kv_heads > 1024) return Support::no("adakv_budget: num_kv_heads must be 1..1024");
  if (p.budget < 0 || p.alpha < 0.0f || p.alpha > 1.0f) return Support::no("adakv_budget: need budget >= 0, alpha in [0,1]");
  return Support::yes();
}

std::size_t workspace_bytes(const AdakvBudgetParams& p) {
  return static_cast<std::size_t>(p.num_requests) * (2 * sizeof(int64_t) + 2 * sizeof(int32_t)) +
         static_cast<std::size_t>(p.num_kv_heads) * p.total_tokens * sizeof(int32_t);
}

void run(const AdakvBudgetParams& p, void* workspace, cudaStream_t stream) {
  if (p.num_requests == 0) return;
  const Rows r = carve(p, workspace);
  const int32_t floor_tokens = adakv_floor(p.budget, p.alpha);
  adakv_rows_kernel<<<(p.num_requests + 127) / 128, 128, 0, stream>>>(p, p.budget - floor_tokens, r);
  KVSIM_CUDA_CHECK_LAUNCH();
  run(TopkParams{.scores = p.scores,
                 .num_rows = p.num_requests,
                 .row_begin = r.begin,
                 .row_len = r.len,
                 .row_k = r.k,
                 .out_idx = r.idx,
                 .out_begin = r.out_begin},
      nullptr, stream);
  adakv_count_kernel<<<p.num_requests, 256, p.num_kv_heads * sizeof(int), stream>>>(p, floor_tokens, r);
  KVSIM_CUDA_CHECK_LAUNCH();
}

}  // namespace kvsim::kernels
