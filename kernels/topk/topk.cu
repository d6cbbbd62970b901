// Batched radix-select top-k (see topk.h).
#include "kernels/topk/topk.h"

#include "kernels/common/cuda_check.h"

namespace kvsim::kernels {
namespace {

constexpr int kThreads = 512;
constexpr int kWarps = kThreads / 32;

// Monotone map float -> uint32: a > b  <=>  key(a) > key(b) (for non-NaN floats).
__device__ __forceinline__ uint32_t order_key(float f) {
  const uint32_t u = __float_as_uint(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// Exclusive prefix sum over the block; *total receives the block's sum. Uses `warp_sums` [kWarps].
__device__ int block_exclusive_sum(int value, int* warp_sums, int* total) {
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  int inclusive = value;
#pragma unroll
  for (int off = 1; off < 32; off *= 2) {
    const int up = __shfl_up_sync(0xffffffffu, inclusive, off);
    if (lane >= off) inclusive += up;
  }
  if (lane == 31) warp_sums[warp] = inclusive;
  __syncthreads();
  if (warp == 0) {
    int w = lane < kWarps ? warp_sums[lane] : 0;
#pragma unroll
    for (int off = 1; off < 32; off *= 2) {
      const int up = __shfl_up_sync(0xffffffffu, w, off);
      if (lane >= off) w += up;
    }
    if (lane < kWarps) warp_sums[lane] = w;  // inclusive over warps
  }
  __syncthreads();
  const int warp_prefix = warp == 0 ? 0 : warp_sums[warp - 1];
  *total = warp_sums[kWarps - 1];
  __syncthreads();  // warp_sums is reused by the next call
  return warp_prefix + inclusive - value;
}

// Rows of at most kRankMax scores (A-VL's image tokens, a few hundred): each score's rank among the
// row's keys (greater keys, then equal keys at lower indices), all pairs compared from shared
// memory; rank < k is taken, written in index order by a block prefix sum. Same selection as the
// radix path, with one pass instead of four serial digit scans.
constexpr int kRankMax = 1024;

__device__ void rank_select(const float* scores, int n, int k, int32_t* out) {
  __shared__ uint32_t keys[kRankMax];
  __shared__ int warp_sums[kWarps];
  for (int i = threadIdx.x; i < n; i += kThreads) keys[i] = order_key(scores[i]);
  __syncthreads();
  int taken = 0;
  for (int base = 0; base < n; base += kThreads) {
    const int i = base + threadIdx.x;
    int chosen = 0;
    if (i < n) {
      const uint32_t key = keys[i];
      int rank = 0;
      for (int j = 0; j < n; ++j) {
        const uint32_t other = keys[j];
        rank += other > key || (other == key && j < i);
      }
      chosen = rank < k;
    }
    int tile_total = 0;
    const int before = block_exclusive_sum(chosen, warp_sums, &tile_total);
    if (chosen) out[taken + before] = i;
    taken += tile_total;
  }
}

__global__ void __launch_bounds__(kThreads) topk_kernel(TopkParams p) {
  const int row = blockIdx.x;
  const float* scores = p.scores + p.row_begin[row];
  const int n = p.row_len[row];
  const int k = min(max(p.row_k[row], 0), n);
  int32_t* out = p.out_idx + p.out_begin[row];
  if (k == 0) return;
  if (k == n) {
    for (int i = threadIdx.x; i < n; i += kThreads) out[i] = i;
    return;
  }
  if (n <= kRankMax) {
    rank_select(scores, n, k, out);
    return;
  }

  __shared__ int hist[256];
  __shared__ uint32_t s_prefix;
  __shared__ int s_remaining;
  __shared__ int warp_sums[kWarps];

  // Radix select: after the pass at `shift`, `prefix` holds the top (32 - shift) bits of the k-th
  // largest key and `remaining` how many keys equal to it (so far) are still to be taken.
  uint32_t prefix = 0, mask = 0;
  int remaining = k;
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int i = threadIdx.x; i < 256; i += kThreads) hist[i] = 0;
    __syncthreads();
    for (int i = threadIdx.x; i < n; i += kThreads) {
      const uint32_t key = order_key(scores[i]);
      if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & 255u], 1);
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      int above = 0;
      int digit = 255;
      for (; digit > 0; --digit) {
        if (above + hist[digit] >= remaining) break;
        above += hist[digit];
      }
      s_prefix = prefix | (static_cast<uint32_t>(digit) << shift);
      s_remaining = remaining - above;
    }
    __syncthreads();
    prefix = s_prefix;
    remaining = s_remaining;
    mask |= 255u << shift;
  }

  // Ordered compaction: keys above the threshold, then the first `remaining` equal ones.
  int taken_above = 0, taken_equal = 0;
  for (int base = 0; base < n; base += kThreads) {
    const int i = base + threadIdx.x;
    const uint32_t key = i < n ? order_key(scores[i]) : 0u;
    const int above = i < n && key > prefix ? 1 : 0;
    const int equal = i < n && key == prefix ? 1 : 0;
    int tile_total = 0;
    const int packed = block_exclusive_sum(above | (equal << 16), warp_sums, &tile_total);
    const int above_before = taken_above + (packed & 0xffff);
    const int equal_before = taken_equal + (packed >> 16);
    if (above || (equal && equal_before < remaining)) out[above_before + min(equal_before, remaining)] = i;
    taken_above += tile_total & 0xffff;
    taken_equal += tile_total >> 16;
  }
}

}  // namespace

Support supported(const TopkParams& p) {
  if (p.num_rows < 0) return Support::no("topk: num_rows must be >= 0");
  if (p.num_rows > 0 && (p.scores == nullptr || p.row_begin == nullptr || p.row_len == nullptr ||
                         p.row_k == nullptr || p.out_idx == nullptr || p.out_begin == nullptr))
    return Support::no("topk: all row arrays must be set");
  return Support::yes();
}

std::size_t workspace_bytes(const TopkParams&) { return 0; }

void run(const TopkParams& p, void*, cudaStream_t stream) {
  if (p.num_rows == 0) return;
  topk_kernel<<<p.num_rows, kThreads, 0, stream>>>(p);
  KVSIM_CUDA_CHECK_LAUNCH();
}

}  // namespace kvsim::kernels
