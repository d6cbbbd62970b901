// A-VL refresh: head-averaged image-token scores and the top-k core selection (see avl_refresh.h).
// The score kernel is CUDA-core code: it runs once every K steps over at most a few thousand image
// tokens per request, so simplicity wins over tensor cores here.
#include "kernels/attention/avl_refresh.h"

#include "kernels/common/cuda_check.h"
#include "kernels/common/ptx.cuh"
#include "kernels/topk/topk.h"

#include <cmath>

namespace kvsim::kernels {
namespace {

constexpr int kScoreThreads = 128;
constexpr int kMaxGroup = 8;

// Pass 1, grid (tiles of image tokens, kv heads, requests): one thread per (image token, kv head)
// sums exp(q.k * scale - lse) over the kv head's q heads into partial[request][kv head][token].
// Spreading the kv heads over the grid keeps the GPU busy when few requests refresh; the partials
// are summed in a fixed order by pass 2, so the scores are deterministic. q (fp32) and lse of the kv
// head's q heads in shared memory.
template <int D>
__global__ void __launch_bounds__(kScoreThreads) image_score_parts_kernel(AvlImageScoresParams p, float scale,
                                                                          float* partial) {
  __shared__ float q[kMaxGroup * D];
  __shared__ float lse[kMaxGroup];
  const int request = blockIdx.z, kvh = blockIdx.y;
  const AvlRequest r = p.requests[request];
  const int row = p.q_row != nullptr ? p.q_row[request] : request;
  const int kv_heads = p.row_kv_heads > 0 ? p.row_kv_heads : p.cache.num_kv_heads;
  const int seg = request * p.cache.num_kv_heads + kvh;
  if (row < 0 || kvh >= kv_heads || blockIdx.x * kScoreThreads >= r.num_secondary) return;
  if (p.lengths != nullptr && p.lengths[seg] < r.prefix_len + r.num_secondary) return;  // not served here
  const int G = p.group_size;
  const int64_t stride = p.q_row_stride != 0 ? p.q_row_stride : int64_t{p.cache.num_kv_heads} * G * D;
  for (int i = threadIdx.x; i < G * D; i += kScoreThreads) q[i] = __bfloat162float(p.q[row * stride + kvh * G * D + i]);
  if (threadIdx.x < G)
    lse[threadIdx.x] = p.lse[static_cast<int64_t>(request) * p.cache.num_kv_heads * G + kvh * G + threadIdx.x];
  __syncthreads();
  const int token = blockIdx.x * kScoreThreads + threadIdx.x;
  if (token >= r.num_secondary) return;
  const uint4* krow = reinterpret_cast<const uint4*>(p.cache.k + (p.cache.offset[seg] + r.prefix_len + token) * D);
  float dot[kMaxGroup] = {};
#pragma unroll
  for (int c = 0; c < D / 8; ++c) {
    float kf[8];
    ptx::unpack_bf16x8(__ldg(krow + c), kf);
#pragma unroll
    for (int g = 0; g < kMaxGroup; ++g) {
      if (g < G) {
        const float* qg = q + g * D + c * 8;
#pragma unroll
        for (int e = 0; e < 8; ++e) dot[g] += qg[e] * kf[e];
      }
    }
  }
  float total = 0.0f;
#pragma unroll
  for (int g = 0; g < kMaxGroup; ++g)
    if (g < G) total += expf(dot[g] * scale - lse[g]);
  partial[(static_cast<int64_t>(request) * p.cache.num_kv_heads + kvh) * p.score_stride + token] = total;
}

// Pass 2, grid (tiles of image tokens, requests): the mean over the q heads of the kv heads that
// hold the request, summing the partials in kv-head order.
__global__ void __launch_bounds__(kScoreThreads) image_score_sum_kernel(AvlImageScoresParams p, const float* partial) {
  const int request = blockIdx.y;
  const AvlRequest r = p.requests[request];
  const int row = p.q_row != nullptr ? p.q_row[request] : request;
  const int token = blockIdx.x * kScoreThreads + threadIdx.x;
  if (row < 0 || token >= r.num_secondary) return;
  const int kv_heads = p.row_kv_heads > 0 ? p.row_kv_heads : p.cache.num_kv_heads;
  float total = 0.0f;
  int counted = 0;
  for (int kvh = 0; kvh < kv_heads; ++kvh) {
    const int seg = request * p.cache.num_kv_heads + kvh;
    if (p.lengths != nullptr && p.lengths[seg] < r.prefix_len + r.num_secondary) continue;
    total += partial[(static_cast<int64_t>(request) * p.cache.num_kv_heads + kvh) * p.score_stride + token];
    counted += p.group_size;
  }
  p.scores[static_cast<int64_t>(request) * p.score_stride + token] = counted > 0 ? total / static_cast<float>(counted) : 0.0f;
}

// Row descriptors of the core top-k: one row per request.
__global__ void core_rows_kernel(AvlSelectCoreParams p, int64_t* row_begin, int32_t* row_len, int32_t* row_k,
                                 int64_t* out_begin) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= p.num_requests) return;
  const AvlRequest r = p.requests[b];
  row_begin[b] = static_cast<int64_t>(b) * p.score_stride;
  row_len[b] = r.num_secondary;
  row_k[b] = r.num_core;
  out_begin[b] = r.core_offset;
}

}  // namespace

Support supported(const AvlImageScoresParams& p) {
  const int D = p.cache.head_dim;
  if (D != 64 && D != 128) return Support::no("avl_image_scores: head_dim must be 64 or 128");
  if (p.group_size < 1 || p.group_size > kMaxGroup) return Support::no("avl_image_scores: group_size must be 1..8");
  if (p.q == nullptr || p.lse == nullptr || p.scores == nullptr || p.requests == nullptr || p.cache.k == nullptr)
    return Support::no("avl_image_scores: q, lse, scores, requests and cache.k must be set");
  if (p.score_stride < p.max_secondary) return Support::no("avl_image_scores: score_stride < max_secondary");
  if (p.row_kv_heads < 0 || p.row_kv_heads > p.cache.num_kv_heads)
    return Support::no("avl_image_scores: row_kv_heads must be 0..num_kv_heads");
  if (p.q_row_stride < 0 || p.q_row_stride % 8 != 0)
    return Support::no("avl_image_scores: q_row_stride must be a non-negative multiple of 8");
  return Support::yes();
}

// The per-kv-head partial scores of pass 1.
std::size_t workspace_bytes(const AvlImageScoresParams& p) {
  return static_cast<std::size_t>(p.cache.num_requests) * p.cache.num_kv_heads * p.score_stride * sizeof(float);
}

void run(const AvlImageScoresParams& p, void* workspace, cudaStream_t stream) {
  if (p.cache.num_requests == 0 || p.max_secondary == 0) return;
  const int D = p.cache.head_dim;
  const float scale = p.scale != 0.0f ? p.scale : 1.0f / std::sqrt(static_cast<float>(D));
  const unsigned tiles = static_cast<unsigned>((p.max_secondary + kScoreThreads - 1) / kScoreThreads);
  auto* partial = static_cast<float*>(workspace);
  const dim3 parts(tiles, static_cast<unsigned>(p.cache.num_kv_heads), static_cast<unsigned>(p.cache.num_requests));
  if (D == 64) image_score_parts_kernel<64><<<parts, kScoreThreads, 0, stream>>>(p, scale, partial);
  else image_score_parts_kernel<128><<<parts, kScoreThreads, 0, stream>>>(p, scale, partial);
  KVSIM_CUDA_CHECK_LAUNCH();
  image_score_sum_kernel<<<dim3(tiles, static_cast<unsigned>(p.cache.num_requests)), kScoreThreads, 0, stream>>>(p, partial);
  KVSIM_CUDA_CHECK_LAUNCH();
}

Support supported(const AvlSelectCoreParams& p) {
  if (p.num_requests > 0 && (p.scores == nullptr || p.requests == nullptr || p.core_idx == nullptr))
    return Support::no("avl_select_core: scores, requests and core_idx must be set");
  return Support::yes();
}

std::size_t workspace_bytes(const AvlSelectCoreParams& p) {
  return static_cast<std::size_t>(p.num_requests) * (2 * sizeof(int64_t) + 2 * sizeof(int32_t));
}

void run(const AvlSelectCoreParams& p, void* workspace, cudaStream_t stream) {
  if (p.num_requests == 0) return;
  auto* row_begin = static_cast<int64_t*>(workspace);
  int64_t* out_begin = row_begin + p.num_requests;
  auto* row_len = reinterpret_cast<int32_t*>(out_begin + p.num_requests);
  int32_t* row_k = row_len + p.num_requests;
  core_rows_kernel<<<(p.num_requests + 127) / 128, 128, 0, stream>>>(p, row_begin, row_len, row_k, out_begin);
  KVSIM_CUDA_CHECK_LAUNCH();
  run(TopkParams{.scores = p.scores,
                 .num_rows = p.num_requests,
                 .row_begin = row_begin,
                 .row_len = row_len,
                 .row_k = row_k,
                 .out_idx = p.core_idx,
                 .out_begin = out_begin},
      nullptr, stream);
}

}  // namespace kvsim::kernels
