// See runtime_kernels.h.
#include "kernels/runtime/runtime_kernels.h"

#include "kernels/common/cuda_check.h"

#include <algorithm>

namespace kvsim::runtime {
namespace {

__global__ void fill_matrix_kernel(FillMatrixParams p) {
  const int64_t total = p.rows * p.cols;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / p.cols, c = i % p.cols;
    const float u = uniform_value(p.seed, static_cast<uint64_t>(r * p.src_ld + p.src_col0 + c));
    p.dst[r * p.dst_ld + p.dst_col0 + c] = __float2bfloat16(p.lo + (p.hi - p.lo) * u);
  }
}

__global__ void copy_rows_kernel(CopyRowsParams p) {
  const int64_t i = blockIdx.x;
  const int64_t s = p.src_idx ? p.src_idx[i] : i, d = p.dst_idx ? p.dst_idx[i] : i;
  const uint4* src = reinterpret_cast<const uint4*>(p.src + s * p.src_stride);
  uint4* dst = reinterpret_cast<uint4*>(p.dst + d * p.dst_stride);
  for (int64_t c = threadIdx.x; c < p.width / 8; c += blockDim.x) dst[c] = src[c];
}

__global__ void write_kv_kernel(WriteKvParams p) {
  const int64_t t = blockIdx.x;
  const int h = static_cast<int>(blockIdx.y);
  const int32_t row = p.dest_row[t * p.src_heads + h];
  if (row < 0) return;
  const int D = p.cache.head_dim;
  const int seg = p.row_request[t] * p.cache.num_kv_heads + h;
  const int64_t stride = p.src_stride > 0 ? p.src_stride : int64_t{p.src_heads} * D;
  const int64_t dst = (p.cache.offset[seg] + row) * D, src = t * stride + int64_t{h} * D;
  for (int c = threadIdx.x; c < D / 8; c += blockDim.x) {
    reinterpret_cast<uint4*>(p.cache.k + dst)[c] = reinterpret_cast<const uint4*>(p.k + src)[c];
    reinterpret_cast<uint4*>(p.cache.v + dst)[c] = reinterpret_cast<const uint4*>(p.v + src)[c];
  }
}

__global__ void copy_blocks_kernel(CopyBlocksParams p) {
  const RowBlock b = p.blocks[blockIdx.x];
  const int per_row = p.head_dim / 8;
  for (int64_t i = blockIdx.y * int64_t{blockDim.x} + threadIdx.x; i < int64_t{b.count} * per_row;
       i += int64_t{gridDim.y} * blockDim.x) {
    const int64_t r = i / per_row, c = i % per_row;
    const int64_t s = (b.src_row + r) * per_row + c, d = (b.dst_row + r) * per_row + c;
    reinterpret_cast<uint4*>(p.dst_k)[d] = reinterpret_cast<const uint4*>(p.src_k)[s];
    reinterpret_cast<uint4*>(p.dst_v)[d] = reinterpret_cast<const uint4*>(p.src_v)[s];
  }
}

}  // namespace

void fill_matrix(const FillMatrixParams& p, cudaStream_t stream) {
  const int64_t total = p.rows * p.cols;
  if (total == 0) return;
  const int blocks = static_cast<int>(std::min<int64_t>((total + 255) / 256, 65536));
  fill_matrix_kernel<<<blocks, 256, 0, stream>>>(p);
  KVSIM_CUDA_CHECK_LAUNCH();
}

void copy_rows(const CopyRowsParams& p, cudaStream_t stream) {
  if (p.n == 0) return;
  if (p.width % 8 != 0 || p.src_stride % 8 != 0 || p.dst_stride % 8 != 0)
    throw std::invalid_argument("copy_rows: width and strides must be multiples of 8");
  copy_rows_kernel<<<static_cast<unsigned>(p.n), 128, 0, stream>>>(p);
  KVSIM_CUDA_CHECK_LAUNCH();
}

void write_kv(const WriteKvParams& p, cudaStream_t stream) {
  if (p.rows == 0 || p.src_heads == 0) return;
  write_kv_kernel<<<dim3(static_cast<unsigned>(p.rows), static_cast<unsigned>(p.src_heads)), 32, 0, stream>>>(p);
  KVSIM_CUDA_CHECK_LAUNCH();
}

void copy_blocks(const CopyBlocksParams& p, cudaStream_t stream) {
  if (p.num_blocks == 0 || p.max_count == 0) return;
  const int64_t work = int64_t{p.max_count} * (p.head_dim / 8);
  const unsigned y = static_cast<unsigned>(std::min<int64_t>((work + 255) / 256, 1024));
  copy_blocks_kernel<<<dim3(static_cast<unsigned>(p.num_blocks), y), 256, 0, stream>>>(p);
  KVSIM_CUDA_CHECK_LAUNCH();
}

// gelu (see runtime_kernels.h): vectorized (8 bf16 per thread step) or scalar.
namespace {

__device__ inline float gelu_value(float x, bool quick) {
  return quick ? x / (1.0f + __expf(-1.702f * x)) : 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}

__global__ void gelu_vec_kernel(GeluParams p) {
  const int64_t n = p.count / 8;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    uint4 raw = reinterpret_cast<const uint4*>(p.x)[i];
    __nv_bfloat162* h2 = reinterpret_cast<__nv_bfloat162*>(&raw);
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const float2 f = __bfloat1622float2(h2[e]);
      h2[e] = __floats2bfloat162_rn(gelu_value(f.x, p.quick), gelu_value(f.y, p.quick));
    }
    reinterpret_cast<uint4*>(p.y)[i] = raw;
  }
}

__global__ void gelu_scalar_kernel(GeluParams p) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < p.count; i += int64_t{gridDim.x} * blockDim.x)
    p.y[i] = __float2bfloat16(gelu_value(__bfloat162float(p.x[i]), p.quick));
}

}  // namespace

void gelu(const GeluParams& p, cudaStream_t stream) {
  if (p.count < 0) throw std::invalid_argument("gelu: negative count");
  if (p.count == 0) return;
  const bool vec = p.count % 8 == 0 && reinterpret_cast<uintptr_t>(p.x) % 16 == 0 &&
                   reinterpret_cast<uintptr_t>(p.y) % 16 == 0;
  const int64_t work = vec ? p.count / 8 : p.count;
  const int blocks = static_cast<int>(std::min<int64_t>((work + 255) / 256, 65536));
  if (vec)
    gelu_vec_kernel<<<blocks, 256, 0, stream>>>(p);
  else
    gelu_scalar_kernel<<<blocks, 256, 0, stream>>>(p);
  KVSIM_CUDA_CHECK_LAUNCH();
}

}  // namespace kvsim::runtime
