// See prefill.h. One warp per (query row, q head); 4 warps a block.
#include "kernels/attention/prefill.h"

#include "kernels/common/cuda_check.h"

#include <cuda_bf16.h>

#include <cmath>
#include <string>

namespace kvsim::kernels {
namespace {

constexpr int kWarps = 4;
constexpr float kLog2e = 1.4426950408889634f;

__device__ inline float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ inline float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

template <int D>
__global__ void __launch_bounds__(kWarps * 32) prefill_kernel(PrefillParams p, float scale_log2) {
  constexpr int kPerLane = D / 32;
  __shared__ float q_sh[kWarps][D];
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int H = p.cache.num_kv_heads, QH = H * p.group_size;
  const int64_t item = static_cast<int64_t>(blockIdx.x) * kWarps + warp;
  const bool active = item < p.total_q * QH;
  const int64_t row = active ? item / QH : 0;
  const int qh = active ? static_cast<int>(item % QH) : 0;

  // Request of this row: the last r with cu_q[r] <= row (binary search; requests are few).
  int lo = 0, hi = p.cache.num_requests - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (p.cu_q[mid] <= row) lo = mid; else hi = mid - 1;
  }
  const int r = lo;
  const int kvh = qh / p.group_size;
  const int seg = r * H + kvh;
  const int64_t pos = p.q_start[r] + (row - p.cu_q[r]);
  const int seg_len = p.cache.length[seg];
  const int n = active ? static_cast<int>(min(static_cast<int64_t>(seg_len), pos + 1)) : 0;

  const __nv_bfloat16* qrow = p.q + row * (p.q_stride > 0 ? p.q_stride : int64_t{QH} * D) + int64_t{qh} * D;
  for (int d = lane; d < D; d += 32) q_sh[warp][d] = __bfloat162float(qrow[d]) * scale_log2;
  __syncwarp();

  const __nv_bfloat16* K = p.cache.k + p.cache.offset[seg] * D;
  const __nv_bfloat16* V = p.cache.v + p.cache.offset[seg] * D;
  float m = -INFINITY, l = 0.0f, acc[kPerLane];
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) acc[i] = 0.0f;

  for (int base = 0; base < n; base += 32) {
    const int j = base + lane;
    float s = -INFINITY;
    if (j < n) {
      const uint4* krow = reinterpret_cast<const uint4*>(K + static_cast<int64_t>(j) * D);
      float dot = 0.0f;
#pragma unroll 4
      for (int c = 0; c < D / 8; ++c) {
        const uint4 raw = krow[c];
        const __nv_bfloat162* h2 = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const float2 f = __bfloat1622float2(h2[e]);
          dot += f.x * q_sh[warp][c * 8 + 2 * e] + f.y * q_sh[warp][c * 8 + 2 * e + 1];
        }
      }
      s = dot;
    }
    const float m_new = fmaxf(m, warp_max(s));
    const float corr = exp2f(m - m_new);
    const float pj = (j < n) ? exp2f(s - m_new) : 0.0f;
    l = l * corr + warp_sum(pj);
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) acc[i] *= corr;
    m = m_new;
    const int count = min(32, n - base);
    for (int jj = 0; jj < count; ++jj) {
      const float pb = __shfl_sync(0xffffffffu, pj, jj);
      const __nv_bfloat16* vrow = V + static_cast<int64_t>(base + jj) * D + lane * kPerLane;
#pragma unroll
      for (int i = 0; i < kPerLane; i += 2) {
        const float2 f = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(vrow + i));
        acc[i] += pb * f.x;
        acc[i + 1] += pb * f.y;
      }
    }
  }
  if (!active) return;
  __nv_bfloat16* orow = p.out + (row * QH + qh) * D + lane * kPerLane;
  const float inv = n > 0 ? 1.0f / l : 0.0f;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) orow[i] = __float2bfloat16(acc[i] * inv);
  if (p.lse != nullptr && lane == 0) p.lse[row * QH + qh] = n > 0 ? (m + log2f(l)) / kLog2e : -INFINITY;
}

}  // namespace

Support supported(const PrefillParams& p) {
  if (p.cache.head_dim != 64 && p.cache.head_dim != 128) return Support::no("prefill: head_dim must be 64 or 128");
  if (p.group_size < 1) return Support::no("prefill: group_size must be >= 1");
  if (p.cache.num_requests < 1 || p.cache.num_kv_heads < 1) return Support::no("prefill: no requests or heads");
  if (p.q == nullptr || p.out == nullptr || p.cu_q == nullptr || p.q_start == nullptr)
    return Support::no("prefill: q, out, cu_q and q_start are required");
  return Support::yes();
}

std::size_t workspace_bytes(const PrefillParams&) { return 0; }

void run(const PrefillParams& p, void*, cudaStream_t stream) {
  if (const Support s = supported(p); !s) throw std::invalid_argument(s.why);
  const int64_t items = p.total_q * p.cache.num_kv_heads * p.group_size;
  if (items == 0) return;
  const float scale = (p.scale > 0 ? p.scale : 1.0f / std::sqrt(static_cast<float>(p.cache.head_dim))) * kLog2e;
  const dim3 grid(static_cast<unsigned>((items + kWarps - 1) / kWarps));
  if (p.cache.head_dim == 128)
    prefill_kernel<128><<<grid, kWarps * 32, 0, stream>>>(p, scale);
  else
    prefill_kernel<64><<<grid, kWarps * 32, 0, stream>>>(p, scale);
  KVSIM_CUDA_CHECK_LAUNCH();
}

}  // namespace kvsim::kernels
