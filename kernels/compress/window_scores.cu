// Observation-window scores (see window_scores.h). CUDA-core kernels: one thread per key, its K row
// in registers; the window's query rows are read as warp-wide broadcasts. The work is
// window * q_heads * prompt * head_dim multiply-adds twice, small next to the prefill itself.
#include "kernels/compress/window_scores.h"

#include "kernels/common/cuda_check.h"
#include "kernels/common/ptx.cuh"

#include <algorithm>
#include <cmath>

namespace kvsim::kernels {
namespace {

constexpr int kThreads = 128;  // keys per CTA
constexpr int kWarps = kThreads / 32;
constexpr int kMaxRows = 8 * 64;  // group_size * window
constexpr float kLog2e = 1.4426950408889634f;

struct Geometry {
  int b, h, begin, n, w_eff, n_prefix, rows;
};

__device__ Geometry geometry(const WindowScoresParams& p) {
  Geometry g;
  g.b = blockIdx.z;
  g.h = blockIdx.y;
  g.begin = p.cu_seqlens[g.b];
  g.n = p.cu_seqlens[g.b + 1] - g.begin;
  g.w_eff = min(p.window, g.n);
  g.n_prefix = g.n - g.w_eff;
  g.rows = p.group_size * p.window;
  return g;
}

template <int D>
__device__ void load_row(const WindowScoresParams& p, const Geometry& g, int j, bool valid, float (&kf)[D]) {
  const uint4* src = reinterpret_cast<const uint4*>(p.k + ((static_cast<int64_t>(g.begin) + j) * p.num_kv_heads + g.h) * D);
#pragma unroll
  for (int c = 0; c < D / 8; ++c) {
    float part[8];
    ptx::unpack_bf16x8(valid ? __ldg(src + c) : make_uint4(0, 0, 0, 0), part);
#pragma unroll
    for (int e = 0; e < 8; ++e) kf[c * 8 + e] = part[e];
  }
}

// q row (group member gi, window row i) . kf, q read as broadcast 16-byte loads.
template <int D>
__device__ float dot_query(const WindowScoresParams& p, const Geometry& g, int gi, int i, const float (&kf)[D]) {
  const int heads = p.num_kv_heads * p.group_size;
  const uint4* q = reinterpret_cast<const uint4*>(
      p.q_window + ((static_cast<int64_t>(g.b) * p.window + i) * heads + g.h * p.group_size + gi) * D);
  float acc = 0.0f;
#pragma unroll
  for (int c = 0; c < D / 8; ++c) {
    float qf[8];
    ptx::unpack_bf16x8(__ldg(q + c), qf);
#pragma unroll
    for (int e = 0; e < 8; ++e) acc += qf[e] * kf[c * 8 + e];
  }
  return acc;
}

// Pass 1: per chunk of 128 keys, (max, sum of exp2) of every query row over the keys it may see.
template <int D>
__global__ void __launch_bounds__(kThreads) lse_partial_kernel(WindowScoresParams p, float scale_log2,
                                                               float2* partial, int chunks) {
  const Geometry g = geometry(p);
  if (static_cast<int>(blockIdx.x) * kThreads >= g.n) return;
  __shared__ float2 part[kWarps][kMaxRows];
  const int j = blockIdx.x * kThreads + threadIdx.x;
  const int warp = threadIdx.x / 32;
  float kf[D];
  load_row<D>(p, g, j, j < g.n, kf);
  for (int row = 0; row < g.rows; ++row) {
    const int gi = row / p.window;
    const int i = row % p.window;
    const int pos = g.n - p.window + i;
    if (pos < 0) continue;  // block-uniform
    const float dot = dot_query<D>(p, g, gi, i, kf);
    const float s = (j < g.n && j <= pos) ? dot * scale_log2 : -INFINITY;
    const float m = ptx::warp_max(s);
    const float l = ptx::warp_sum(m == -INFINITY ? 0.0f : exp2f(s - m));
    if (threadIdx.x % 32 == 0) part[warp][row] = make_float2(m, l);
  }
  __syncthreads();
  for (int row = threadIdx.x; row < g.rows; row += kThreads) {
    const int pos = g.n - p.window + row % p.window;
    float m = -INFINITY, l = 0.0f;
    if (pos >= 0) {
      for (int w = 0; w < kWarps; ++w) m = fmaxf(m, part[w][row].x);
      for (int w = 0; w < kWarps; ++w)
        if (part[w][row].x != -INFINITY) l += part[w][row].y * exp2f(part[w][row].x - m);
    }
    partial[((static_cast<int64_t>(g.b) * p.num_kv_heads + g.h) * chunks + blockIdx.x) * g.rows + row] =
        make_float2(m, l);
  }
}

// Merge the chunks into one log2-sum-exp per query row. Grid (1, kv heads, requests).
__global__ void lse_merge_kernel(WindowScoresParams p, const float2* partial, int chunks, float* lse) {
  const Geometry g = geometry(p);
  const int used = (g.n + kThreads - 1) / kThreads;
  const int64_t base = (static_cast<int64_t>(g.b) * p.num_kv_heads + g.h);
  for (int row = threadIdx.x; row < g.rows; row += blockDim.x) {
    float m = -INFINITY, l = 0.0f;
    for (int c = 0; c < used; ++c) {
      const float2 v = partial[(base * chunks + c) * g.rows + row];
      if (v.x == -INFINITY) continue;
      const float nm = fmaxf(m, v.x);
      l = l * exp2f(m - nm) + v.y * exp2f(v.x - nm);
      m = nm;
    }
    lse[base * g.rows + row] = m == -INFINITY ? -INFINITY : m + log2f(l);
  }
}

// Pass 2: per prefix key, the window-mean probability of each group member, reduced over the group.
template <int D>
__global__ void __launch_bounds__(kThreads) key_scores_kernel(WindowScoresParams p, float scale_log2,
                                                              const float* lse, float* raw) {
  const Geometry g = geometry(p);
  const int j = blockIdx.x * kThreads + threadIdx.x;
  if (static_cast<int>(blockIdx.x) * kThreads >= g.n) return;
  const bool scored = j < g.n_prefix;
  float kf[D];
  load_row<D>(p, g, j, scored, kf);
  const float* row_lse = lse + (static_cast<int64_t>(g.b) * p.num_kv_heads + g.h) * g.rows;
  float reduced = 0.0f;  // probabilities are >= 0, so 0 is also max's identity here
  for (int gi = 0; gi < p.group_size; ++gi) {
    float sum = 0.0f;
    for (int i = p.window - g.w_eff; i < p.window; ++i) {
      const float dot = dot_query<D>(p, g, gi, i, kf);
      sum += exp2f(dot * scale_log2 - row_lse[gi * p.window + i]);
    }
    const float mean = g.w_eff > 0 ? sum / static_cast<float>(g.w_eff) : 0.0f;
    reduced = p.reduce == GqaReduce::Max ? fmaxf(reduced, mean) : reduced + mean / static_cast<float>(p.group_size);
  }
  if (j < g.n)
    raw[score_index(p.num_kv_heads, g.begin, g.n, g.h, j)] = scored ? reduced : -INFINITY;
}

// Max-pool along the prefix tokens of each (request, kv head); window positions stay -inf.
__global__ void pool_kernel(WindowScoresParams p, const float* raw) {
  const Geometry g = geometry(p);
  const int j = blockIdx.x * kThreads + threadIdx.x;
  if (j >= g.n) return;
  const int64_t base = score_index(p.num_kv_heads, g.begin, g.n, g.h, 0);
  float v = -INFINITY;
  if (j < g.n_prefix) {
    const int half = p.pool_kernel / 2;
    for (int t = max(0, j - half); t <= min(g.n_prefix - 1, j + half); ++t) v = fmaxf(v, raw[base + t]);
  }
  p.scores[base + j] = v;
}

int chunk_count(const WindowScoresParams& p) { return (p.max_seq_len + kThreads - 1) / kThreads; }

}  // namespace

Support supported(const WindowScoresParams& p) {
  if (p.head_dim != 64 && p.head_dim != 128) return Support::no("window_scores: head_dim must be 64 or 128");
  if (p.group_size < 1 || p.group_size > 8) return Support::no("window_scores: group_size must be 1..8");
  if (p.window < 1 || p.window > 64) return Support::no("window_scores: window must be 1..64");
  if (p.pool_kernel < 1 || p.pool_kernel % 2 == 0) return Support::no("window_scores: pool_kernel must be odd");
  if (p.num_requests > 0 && (p.q_window == nullptr || p.k == nullptr || p.cu_seqlens == nullptr || p.scores == nullptr))
    return Support::no("window_scores: q_window, k, cu_seqlens and scores must be set");
  return Support::yes();
}

std::size_t workspace_bytes(const WindowScoresParams& p) {
  const std::size_t rows = static_cast<std::size_t>(p.num_requests) * p.num_kv_heads * p.group_size * p.window;
  return rows * chunk_count(p) * sizeof(float2) + rows * sizeof(float) +
         static_cast<std::size_t>(p.num_kv_heads) * p.total_tokens * sizeof(float);
}

int64_t wave_keys(const WindowScoresParams& p) {
  int device = 0, sms = 0, lse_ctas = 0, key_ctas = 0;
  KVSIM_CUDA_CHECK(cudaGetDevice(&device));
  KVSIM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  if (p.head_dim == 64) {
    KVSIM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&lse_ctas, lse_partial_kernel<64>, kThreads, 0));
    KVSIM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&key_ctas, key_scores_kernel<64>, kThreads, 0));
  } else {
    KVSIM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&lse_ctas, lse_partial_kernel<128>, kThreads, 0));
    KVSIM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&key_ctas, key_scores_kernel<128>, kThreads, 0));
  }
  return static_cast<int64_t>(std::min(lse_ctas, key_ctas)) * sms * kThreads;  // one key per thread
}

void run(const WindowScoresParams& p, void* workspace, cudaStream_t stream) {
  if (p.num_requests == 0 || p.max_seq_len == 0) return;
  const int chunks = chunk_count(p);
  const std::size_t rows = static_cast<std::size_t>(p.num_requests) * p.num_kv_heads * p.group_size * p.window;
  auto* partial = static_cast<float2*>(workspace);
  float* lse = reinterpret_cast<float*>(partial + rows * chunks);
  float* raw = lse + rows;
  const float scale = p.scale != 0.0f ? p.scale : 1.0f / std::sqrt(static_cast<float>(p.head_dim));
  const dim3 grid(chunks, p.num_kv_heads, p.num_requests);
  if (p.head_dim == 64)
    lse_partial_kernel<64><<<grid, kThreads, 0, stream>>>(p, scale * kLog2e, partial, chunks);
  else
    lse_partial_kernel<128><<<grid, kThreads, 0, stream>>>(p, scale * kLog2e, partial, chunks);
  KVSIM_CUDA_CHECK_LAUNCH();
  lse_merge_kernel<<<dim3(1, p.num_kv_heads, p.num_requests), 256, 0, stream>>>(p, partial, chunks, lse);
  KVSIM_CUDA_CHECK_LAUNCH();
  if (p.head_dim == 64)
    key_scores_kernel<64><<<grid, kThreads, 0, stream>>>(p, scale * kLog2e, lse, raw);
  else
    key_scores_kernel<128><<<grid, kThreads, 0, stream>>>(p, scale * kLog2e, lse, raw);
  KVSIM_CUDA_CHECK_LAUNCH();
  pool_kernel<<<grid, kThreads, 0, stream>>>(p, raw);
  KVSIM_CUDA_CHECK_LAUNCH();
}

}  // namespace kvsim::kernels
