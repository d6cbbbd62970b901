// See ops.h. Memory-bound kernels: each thread moves 16-byte vectors (8 bf16); RMSNorm uses one
// block per row (the row, at most tens of KB, is re-read from L1/L2 for the second pass).
#include "kernels/ops/ops.h"

#include "kernels/common/cuda_check.h"

#include <cuda_bf16.h>

#include <algorithm>

namespace kvsim::kernels {
namespace {

struct alignas(16) Vec8 {
  __nv_bfloat162 h[4];
};

__device__ inline void to_float(const Vec8& v, float (&f)[8]) {
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 t = __bfloat1622float2(v.h[i]);
    f[2 * i] = t.x;
    f[2 * i + 1] = t.y;
  }
}

__device__ inline Vec8 from_float(const float (&f)[8]) {
  Vec8 v;
#pragma unroll
  for (int i = 0; i < 4; ++i) v.h[i] = __floats2bfloat162_rn(f[2 * i], f[2 * i + 1]);
  return v;
}

template <int kThreads>
__global__ void rmsnorm_kernel(RmsNormParams p) {
  const int64_t row = blockIdx.x;
  const Vec8* x = reinterpret_cast<const Vec8*>(p.x + row * p.hidden);
  const Vec8* w = reinterpret_cast<const Vec8*>(p.weight);
  Vec8* y = reinterpret_cast<Vec8*>(p.y + row * p.hidden);
  const int vecs = p.hidden / 8;
  float ss = 0.0f;
  if (p.residual != nullptr) {  // s = x + residual, stored; each thread later re-reads only what it wrote
    const Vec8* r = reinterpret_cast<const Vec8*>(p.residual + row * p.hidden);
    Vec8* s = reinterpret_cast<Vec8*>(p.sum + row * p.hidden);
    for (int i = threadIdx.x; i < vecs; i += kThreads) {
      float f[8], b[8];
      to_float(x[i], f);
      to_float(r[i], b);
#pragma unroll
      for (int j = 0; j < 8; ++j) f[j] += b[j];
      const Vec8 v = from_float(f);
      s[i] = v;
      to_float(v, f);  // the rounded sum, as a separate add would leave it
#pragma unroll
      for (int j = 0; j < 8; ++j) ss += f[j] * f[j];
    }
    x = s;
  } else {
    for (int i = threadIdx.x; i < vecs; i += kThreads) {
      float f[8];
      to_float(x[i], f);
#pragma unroll
      for (int j = 0; j < 8; ++j) ss += f[j] * f[j];
    }
  }
  __shared__ float warp_sums[kThreads / 32];
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, o);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = ss;
  __syncthreads();
  float total = 0.0f;
#pragma unroll
  for (int i = 0; i < kThreads / 32; ++i) total += warp_sums[i];
  const float inv = rsqrtf(total / static_cast<float>(p.hidden) + p.eps);
  for (int i = threadIdx.x; i < vecs; i += kThreads) {
    float f[8], g[8];
    to_float(x[i], f);
    to_float(w[i], g);
#pragma unroll
    for (int j = 0; j < 8; ++j) f[j] = f[j] * inv * g[j];
    y[i] = from_float(f);
  }
}

// One thread per (token, head, pair i): rotates elements i and i + d/2.
__global__ void rope_kernel(RopeParams p) {
  const int half = p.head_dim / 2;
  const int heads = p.q_heads + p.kv_heads;
  const int64_t total = p.tokens * heads * half;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int i = static_cast<int>(idx % half);
    const int64_t th = idx / half;
    const int h = static_cast<int>(th % heads);
    const int64_t t = th / heads;
    const int64_t q_stride = p.q_stride > 0 ? p.q_stride : int64_t{p.q_heads} * p.head_dim;
    const int64_t k_stride = p.k_stride > 0 ? p.k_stride : int64_t{p.kv_heads} * p.head_dim;
    __nv_bfloat16* base = h < p.q_heads ? p.q + t * q_stride + int64_t{h} * p.head_dim
                                        : p.k + t * k_stride + int64_t{h - p.q_heads} * p.head_dim;
    const float inv_freq = powf(p.theta, -2.0f * static_cast<float>(i) / static_cast<float>(p.head_dim));
    float s, c;
    sincosf(static_cast<float>(p.positions[t]) * inv_freq, &s, &c);
    const float a = __bfloat162float(base[i]), b = __bfloat162float(base[i + half]);
    base[i] = __float2bfloat16(a * c - b * s);
    base[i + half] = __float2bfloat16(b * c + a * s);
  }
}

__global__ void silu_mul_kernel(SiluMulParams p) {
  const int vecs = p.width / 8;
  const int64_t total = p.rows * vecs;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t r = idx / vecs;
    const int v = static_cast<int>(idx % vecs);
    const Vec8* row = reinterpret_cast<const Vec8*>(p.gate_up + r * 2 * p.width);
    float g[8], u[8];
    to_float(row[v], g);
    to_float(row[vecs + v], u);
#pragma unroll
    for (int j = 0; j < 8; ++j) g[j] = g[j] / (1.0f + __expf(-g[j])) * u[j];
    reinterpret_cast<Vec8*>(p.out + r * p.width)[v] = from_float(g);
  }
}

__global__ void add_kernel(AddParams p) {
  const int64_t vecs = p.count / 8;
  Vec8* x = reinterpret_cast<Vec8*>(p.x);
  const Vec8* y = reinterpret_cast<const Vec8*>(p.y);
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < vecs;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float a[8], b[8];
    to_float(x[i], a);
    to_float(y[i], b);
#pragma unroll
    for (int j = 0; j < 8; ++j) a[j] += b[j];
    x[i] = from_float(a);
  }
}

__global__ void fill_kernel(__nv_bfloat16* x, int64_t count, uint64_t seed) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(i);  // splitmix64
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    x[i] = __float2bfloat16(static_cast<float>(z >> 40) * (2.0f / 16777216.0f) - 1.0f);
  }
}

// A grid-stride launch: enough blocks to fill the device several times over, not one per element.
int grid_for(int64_t work, int threads) {
  const int64_t blocks = (work + threads - 1) / threads;
  return static_cast<int>(std::clamp<int64_t>(blocks, 1, 132 * 32));
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

Support supported(const RmsNormParams& p) {
  if (p.hidden <= 0 || p.hidden % 8 != 0) return Support::no("rmsnorm: hidden must be a positive multiple of 8");
  if (!aligned16(p.x) || !aligned16(p.y) || !aligned16(p.weight)) return Support::no("rmsnorm: pointers must be 16-byte aligned");
  if ((p.residual == nullptr) != (p.sum == nullptr)) return Support::no("rmsnorm: residual and sum go together");
  if (!aligned16(p.residual) || !aligned16(p.sum)) return Support::no("rmsnorm: pointers must be 16-byte aligned");
  return Support::yes();
}
void run(const RmsNormParams& p, cudaStream_t stream) {
  if (auto s = supported(p); !s) throw std::invalid_argument(s.why);
  if (p.rows == 0) return;
  rmsnorm_kernel<256><<<static_cast<unsigned>(p.rows), 256, 0, stream>>>(p);
  KVSIM_CUDA_CHECK_LAUNCH();
}

Support supported(const RopeParams& p) {
  if (p.head_dim <= 0 || p.head_dim % 2 != 0 || p.head_dim > 256) return Support::no("rope: head_dim must be even, at most 256");
  if (p.q_heads < 0 || p.kv_heads < 0) return Support::no("rope: negative head count");
  if ((p.q_stride != 0 && p.q_stride < int64_t{p.q_heads} * p.head_dim) ||
      (p.k_stride != 0 && p.k_stride < int64_t{p.kv_heads} * p.head_dim))
    return Support::no("rope: a row stride shorter than the row");
  return Support::yes();
}
void run(const RopeParams& p, cudaStream_t stream) {
  if (auto s = supported(p); !s) throw std::invalid_argument(s.why);
  const int64_t work = p.tokens * (p.q_heads + p.kv_heads) * (p.head_dim / 2);
  if (work == 0) return;
  rope_kernel<<<grid_for(work, 256), 256, 0, stream>>>(p);
  KVSIM_CUDA_CHECK_LAUNCH();
}

Support supported(const SiluMulParams& p) {
  if (p.width <= 0 || p.width % 8 != 0) return Support::no("silu_mul: width must be a positive multiple of 8");
  if (!aligned16(p.gate_up) || !aligned16(p.out)) return Support::no("silu_mul: pointers must be 16-byte aligned");
  return Support::yes();
}
void run(const SiluMulParams& p, cudaStream_t stream) {
  if (auto s = supported(p); !s) throw std::invalid_argument(s.why);
  if (p.rows == 0) return;
  silu_mul_kernel<<<grid_for(p.rows * (p.width / 8), 256), 256, 0, stream>>>(p);
  KVSIM_CUDA_CHECK_LAUNCH();
}

Support supported(const AddParams& p) {
  if (p.count < 0 || p.count % 8 != 0) return Support::no("add: count must be a multiple of 8");
  if (!aligned16(p.x) || !aligned16(p.y)) return Support::no("add: pointers must be 16-byte aligned");
  return Support::yes();
}
void run(const AddParams& p, cudaStream_t stream) {
  if (auto s = supported(p); !s) throw std::invalid_argument(s.why);
  if (p.count == 0) return;
  add_kernel<<<grid_for(p.count / 8, 256), 256, 0, stream>>>(p);
  KVSIM_CUDA_CHECK_LAUNCH();
}

void fill_uniform(__nv_bfloat16* x, int64_t count, uint64_t seed, cudaStream_t stream) {
  if (count <= 0) return;
  fill_kernel<<<grid_for(count, 256), 256, 0, stream>>>(x, count, seed);
  KVSIM_CUDA_CHECK_LAUNCH();
}

}  // namespace kvsim::kernels
