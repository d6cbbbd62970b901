// The split-KV decode attention kernel and its log-sum-exp merge, shared by decode.cu (dense rows)
// and avl_sparse.cu (rows through A-VL's core index list). Included only by those two .cu files.
//
// One CTA runs one work item of the plan: a chunk [begin, end) of one (request, kv head) segment,
// for all group_size <= 8 q heads of that kv head, so each K/V row is read from memory once.
// Tiles of 64 tokens are copied global->shared with 16-byte cp.async, three stages deep; 4 warps
// take 16 tokens of a tile each and keep their own online-softmax state. The math runs on tensor
// cores in the "transposed" orientation, which fits GQA decode exactly:
//   S^T[16 tokens x 8 heads] = K[16 x D] * Q^T[D x 8]          (mma m16n8k16, K is the A operand)
//   O^T[D x 8 heads]        += V^T[D x 16 tokens] * P^T[16 x 8] (V via ldmatrix.trans; P^T is S^T's
//                                                                 fragment moved by movmatrix.trans)
// so the n=8 side of the MMA is the q heads of the group and no MMA row is wasted at group size 8.
// Shared-memory rows are XOR-swizzled in 16-byte units, so ldmatrix is free of bank conflicts.
// At the end the 4 warps combine through shared memory; the CTA writes the bf16 output directly
// when the segment is one chunk, else an fp32 partial and its log2-sum-exp for the merge kernel.
#pragma once

#include "kernels/attention/avl_types.h"
#include "kernels/attention/decode_plan.h"
#include "kernels/common/support.h"
#include "kernels/kv_cache/kv_cache.h"
#include "kernels/common/cuda_check.h"
#include "kernels/common/ptx.cuh"

#include <cuda_bf16.h>

#include <cmath>
#include <cstdint>
#include <mutex>
#include <stdexcept>

namespace kvsim::kernels::detail {

constexpr int kDecodeWarps = 4;
constexpr int kDecodeThreads = 32 * kDecodeWarps;
constexpr int kDecodeTileTokens = 16 * kDecodeWarps;
constexpr int kDecodeStages = 3;
constexpr int kMaxGroup = 8;
constexpr float kLn2 = 0.6931471805599453f;
constexpr float kLog2e = 1.4426950408889634f;

template <int D>
constexpr int decode_smem_bytes() {
  constexpr int pipeline = kDecodeStages * 2 * kDecodeTileTokens * D * 2;
  constexpr int combine = (kDecodeWarps * (2 * kMaxGroup + kMaxGroup * (D + 4)) + kDecodeWarps * kMaxGroup) * 4;
  return pipeline > combine ? pipeline : combine;
}

struct DecodeArgs {
  const __nv_bfloat16* q;
  const __nv_bfloat16* k;
  const __nv_bfloat16* v;
  const int64_t* seg_offset;
  const DecodeWorkItem* items;
  const SegmentChunks* segments;
  __nv_bfloat16* out;
  float* lse;          // optional, natural log
  float* partial_o;    // [items][group][D]
  float* partial_lse;  // [items][group], log2 domain
  int num_kv_heads;
  int group;
  float scale_log2;    // softmax scale * log2(e)
  // Row mapping of q and out (DecodeParams::q_row ...); make_decode_args sets today's packing.
  const int32_t* q_row = nullptr;  // null: request b is row b; < 0: request skipped
  int64_t q_stride = 0;            // elements between rows of q
  int64_t out_stride = 0;          // elements between rows of out
  int row_kv_heads = 0;            // kv heads a row holds; segments of kv heads past it are skipped
  bool zero_empty = true;          // the merge kernel writes zeros (and -inf lse) for empty segments
};

// The row of q / out holding `request`'s query, or -1 when this (request, kv head) is not to be
// touched (request skipped, or a kv head slot the rows do not hold). One load per CTA.
__device__ __forceinline__ int decode_row(const DecodeArgs& a, int request, int kv_head) {
  const int row = a.q_row != nullptr ? __ldg(a.q_row + request) : request;
  return kv_head < a.row_kv_heads ? row : -1;
}

// Logical token j of a request's segment -> row within the segment, returned as base + index where
// only `index` may come from memory: the caller keeps both in registers and adds them one tile
// later, so the index load's latency overlaps the current tile's math instead of stalling the copy.
struct DenseRows {
  struct Bound {
    __device__ void locate(int j, int& base, int& index) const {
      base = j;
      index = 0;
    }
  };
  __device__ Bound bind(int) const { return {}; }
};

struct AvlSparseRows {
  const AvlRequest* requests;
  const int32_t* core_idx;
  struct Bound {
    AvlRequest r;
    const int32_t* core;
    __device__ void locate(int j, int& base, int& index) const {
      const int c = j - r.prefix_len;
      index = 0;
      if (c >= 0 && c < r.num_core) index = __ldg(core + c);  // predicated load, not used here
      base = c < 0 ? j : c < r.num_core ? r.prefix_len : r.prefix_len + r.num_secondary + (c - r.num_core);
    }
  };
  __device__ Bound bind(int request) const {
    const AvlRequest r = requests[request];
    return {r, core_idx + r.core_offset};
  }
};

// Programmatic dependent launch (sm_90): the split kernel lets the merge kernel's CTAs start early;
// the merge kernel waits for the split grid to finish (and its writes to be visible). Both are
// no-ops when the launch did not ask for it.
__device__ __forceinline__ void pdl_launch_dependents() { asm volatile("griddepcontrol.launch_dependents;" ::: "memory"); }
__device__ __forceinline__ void pdl_wait() { asm volatile("griddepcontrol.wait;" ::: "memory"); }

// Byte offset of 16-byte chunk c of row r inside a tile, XOR-swizzled over groups of 8 chunks.
template <int D>
__device__ __forceinline__ uint32_t tile_offset(int r, int c) {
  return static_cast<uint32_t>((r * (D / 8) + (c ^ (r & 7))) * 16);
}

template <int D, class RowMap>
__global__ void __launch_bounds__(kDecodeThreads) decode_split_kernel(DecodeArgs a, RowMap map) {
  extern __shared__ __align__(128) uint8_t smem[];
  constexpr int kChunks = D / 8;          // 16-byte chunks per row
  constexpr int kKSteps = D / 16;         // MMA k-steps over head_dim (also m-tiles of O^T)
  constexpr int kTileBytes = kDecodeTileTokens * D * 2;

  pdl_launch_dependents();
  const DecodeWorkItem item = a.items[blockIdx.x];
  const int request = item.segment / a.num_kv_heads;
  const int kv_head = item.segment % a.num_kv_heads;
  const int n = item.end - item.begin;
  const int num_tiles = (n + kDecodeTileTokens - 1) / kDecodeTileTokens;
  const int64_t seg_base = a.seg_offset[item.segment];
  const int io_row = decode_row(a, request, kv_head);  // loaded alongside seg_base
  if (io_row < 0) return;  // CTA-uniform, before any copy or barrier
  const auto rows = map.bind(request);
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  // lse index of the group's first head (by request); q and out offsets of its first head (by row).
  const int64_t q_head0 = static_cast<int64_t>(request) * a.num_kv_heads * a.group + int64_t{kv_head} * a.group;
  const int64_t head_off = int64_t{kv_head} * a.group * D;

  // Q^T as the MMA's B operand: thread holds head lane/4, dims 2(lane%4)..+1 and +8 of each k-step.
  uint32_t qf[kKSteps][2];
  {
    const int g = lane / 4;
    const int gq = g < a.group ? g : 0;  // heads past the group are not loaded; stay inside the row
    const uint32_t* qrow = reinterpret_cast<const uint32_t*>(a.q + io_row * a.q_stride + head_off + gq * D);
#pragma unroll
    for (int ks = 0; ks < kKSteps; ++ks) {
      qf[ks][0] = g < a.group ? __ldg(qrow + (16 * ks + 2 * (lane % 4)) / 2) : 0u;
      qf[ks][1] = g < a.group ? __ldg(qrow + (16 * ks + 8 + 2 * (lane % 4)) / 2) : 0u;
    }
  }

  // Each thread copies kIters 16-byte chunks of K and of V per tile. Rows are located one tile
  // before their copy is issued (locate_tile / issue_tile), see DenseRows.
  constexpr int kIters = kDecodeTileTokens * kChunks / kDecodeThreads;
  static_assert(kDecodeTileTokens * kChunks % kDecodeThreads == 0, "tile copy must divide evenly");
  struct TileRows {
    int base[kIters];
    int index[kIters];
  };
  auto locate_tile = [&](int tile, TileRows& tr) {
#pragma unroll
    for (int it = 0; it < kIters; ++it) {
      const int j = tile * kDecodeTileTokens + (threadIdx.x + it * kDecodeThreads) / kChunks;
      tr.base[it] = -1;
      tr.index[it] = 0;
      if (j < n) rows.locate(item.begin + j, tr.base[it], tr.index[it]);
    }
  };
  auto issue_tile = [&](const TileRows& tr, int stage) {
    const uint32_t k_dst = ptx::smem_addr(smem + stage * 2 * kTileBytes);
    const uint32_t v_dst = k_dst + kTileBytes;
#pragma unroll
    for (int it = 0; it < kIters; ++it) {
      const int i = threadIdx.x + it * kDecodeThreads;
      const int r = i / kChunks;
      const int c = i % kChunks;
      const bool valid = tr.base[it] >= 0;
      const int64_t row = seg_base + (valid ? tr.base[it] + tr.index[it] : 0);
      const uint32_t off = tile_offset<D>(r, c);
      ptx::cp_async_16(k_dst + off, a.k + row * D + c * 8, valid);
      ptx::cp_async_16(v_dst + off, a.v + row * D + c * 8, valid);
    }
  };

  TileRows pending;
#pragma unroll
  for (int s = 0; s < kDecodeStages - 1; ++s) {
    locate_tile(s, pending);
    if (s < num_tiles) issue_tile(pending, s);
    ptx::cp_async_commit();
  }
  locate_tile(kDecodeStages - 1, pending);

  // Per-thread online-softmax state for heads h0 = 2(lane%4) and h0+1 (log2 domain).
  float o[kKSteps][4] = {};
  float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.0f, l1 = 0.0f;

  for (int t = 0; t < num_tiles; ++t) {
    ptx::cp_async_wait<kDecodeStages - 2>();
    __syncthreads();  // tile t visible to all; everyone is done with the stage refilled below
    {
      const int next = t + kDecodeStages - 1;
      if (next < num_tiles) issue_tile(pending, next % kDecodeStages);
      ptx::cp_async_commit();
      locate_tile(next + 1, pending);  // its loads complete while this tile computes
    }
    const int tok0 = t * kDecodeTileTokens + warp * 16;
    if (tok0 >= n) continue;  // warp-uniform: this warp's 16 rows are past the chunk
    const uint32_t k_base = ptx::smem_addr(smem + (t % kDecodeStages) * 2 * kTileBytes);
    const uint32_t v_base = k_base + kTileBytes;

    float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
#pragma unroll
    for (int ks = 0; ks < kKSteps; ++ks) {
      uint32_t kf[4];
      const int r = warp * 16 + lane % 16;
      ptx::ldmatrix_x4(kf, k_base + tile_offset<D>(r, 2 * ks + lane / 16));
      ptx::mma_bf16_16816(s, kf, qf[ks]);
    }
    // s[0], s[1]: token tok0 + lane/4, heads h0, h0+1; s[2], s[3]: token + 8.
    const bool valid0 = tok0 + lane / 4 < n;
    const bool valid1 = tok0 + lane / 4 + 8 < n;
    s[0] = valid0 ? s[0] * a.scale_log2 : -INFINITY;
    s[1] = valid0 ? s[1] * a.scale_log2 : -INFINITY;
    s[2] = valid1 ? s[2] * a.scale_log2 : -INFINITY;
    s[3] = valid1 ? s[3] * a.scale_log2 : -INFINITY;
    float mx0 = fmaxf(s[0], s[2]);
    float mx1 = fmaxf(s[1], s[3]);
#pragma unroll
    for (int off = 4; off < 32; off *= 2) {  // lanes sharing lane%4 hold the same heads
      mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, off));
      mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, off));
    }
    // Token tok0 is valid, so the new maxima are finite.
    const float new0 = fmaxf(m0, mx0);
    const float new1 = fmaxf(m1, mx1);
    const float alpha0 = exp2f(m0 - new0);
    const float alpha1 = exp2f(m1 - new1);
    m0 = new0;
    m1 = new1;
    const float p0 = exp2f(s[0] - m0), p1 = exp2f(s[1] - m1);
    const float p2 = exp2f(s[2] - m0), p3 = exp2f(s[3] - m1);
    l0 = l0 * alpha0 + p0 + p2;  // partial over this thread's tokens; reduced across lanes at the end
    l1 = l1 * alpha1 + p1 + p3;
    const uint32_t pf[2] = {ptx::movmatrix_trans(ptx::pack_bf16x2(p0, p1)),
                            ptx::movmatrix_trans(ptx::pack_bf16x2(p2, p3))};
#pragma unroll
    for (int mt = 0; mt < kKSteps; ++mt) {
      o[mt][0] *= alpha0;
      o[mt][1] *= alpha1;
      o[mt][2] *= alpha0;
      o[mt][3] *= alpha1;
      uint32_t vf[4];
      const int j = lane / 8;
      const int r = warp * 16 + (j / 2) * 8 + lane % 8;
      ptx::ldmatrix_x4_trans(vf, v_base + tile_offset<D>(r, 2 * mt + j % 2));
      ptx::mma_bf16_16816(o[mt], vf, pf);
    }
  }
  ptx::cp_async_wait<0>();
  __syncthreads();  // pipeline buffers are reused below

#pragma unroll
  for (int off = 4; off < 32; off *= 2) {
    l0 += __shfl_xor_sync(0xffffffffu, l0, off);
    l1 += __shfl_xor_sync(0xffffffffu, l1, off);
  }
  // Per warp: m[8], l[8], O[8][D + 4] (head-major, rows padded by 4 floats: the stores below and
  // the 16-byte loads of the combine are free of bank conflicts). After the warps: each warp's
  // weight exp2(m_w - m) / l per head.
  constexpr int kRow = D + 4;
  constexpr int kWarpFloats = 2 * kMaxGroup + kMaxGroup * kRow;
  float* scratch = reinterpret_cast<float*>(smem);
  float* weight = scratch + kDecodeWarps * kWarpFloats;  // [warp][head]
  {
    float* ws = scratch + warp * kWarpFloats;
    const int h0 = 2 * (lane % 4);
    if (lane < 4) {
      ws[h0] = m0;
      ws[h0 + 1] = m1;
      ws[kMaxGroup + h0] = l0;
      ws[kMaxGroup + h0 + 1] = l1;
    }
    float* wo = ws + 2 * kMaxGroup;
#pragma unroll
    for (int mt = 0; mt < kKSteps; ++mt) {
      const int d = 16 * mt + lane / 4;
      wo[h0 * kRow + d] = o[mt][0];
      wo[(h0 + 1) * kRow + d] = o[mt][1];
      wo[h0 * kRow + d + 8] = o[mt][2];
      wo[(h0 + 1) * kRow + d + 8] = o[mt][3];
    }
  }
  __syncthreads();
  if (threadIdx.x < kMaxGroup) {
    const int h = threadIdx.x;
    float m = -INFINITY;
#pragma unroll
    for (int w = 0; w < kDecodeWarps; ++w) m = fmaxf(m, scratch[w * kWarpFloats + h]);
    float e[kDecodeWarps];
    float l = 0.0f;
#pragma unroll
    for (int w = 0; w < kDecodeWarps; ++w) {
      e[w] = exp2f(scratch[w * kWarpFloats + h] - m);  // 0 for a warp that saw no token
      l += e[w] * scratch[w * kWarpFloats + kMaxGroup + h];
    }
    const float inv = 1.0f / l;
#pragma unroll
    for (int w = 0; w < kDecodeWarps; ++w) weight[w * kMaxGroup + h] = e[w] * inv;
    const float lse2 = m + log2f(l);
    if (h < a.group) {
      if (!item.direct)
        a.partial_lse[static_cast<int64_t>(blockIdx.x) * a.group + h] = lse2;
      else if (a.lse != nullptr)
        a.lse[q_head0 + h] = lse2 * kLn2;
    }
  }
  __syncthreads();

  // Four consecutive dims per thread: 16-byte shared loads, 16-byte (fp32 partial) or 8-byte (bf16
  // output) global stores where the pointers allow it.
  constexpr int kQuads = D / 4;
  __nv_bfloat16* const out_base = a.out + io_row * a.out_stride + head_off;
  const bool out_vec = (reinterpret_cast<uintptr_t>(out_base) & 7) == 0;
  const bool part_vec = (reinterpret_cast<uintptr_t>(a.partial_o) & 15) == 0;
  for (int idx = threadIdx.x; idx < a.group * kQuads; idx += kDecodeThreads) {
    const int h = idx / kQuads;
    const int d = 4 * (idx % kQuads);
    float4 acc = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll
    for (int w = 0; w < kDecodeWarps; ++w) {
      const float wt = weight[w * kMaxGroup + h];
      const float4 x = *reinterpret_cast<const float4*>(scratch + w * kWarpFloats + 2 * kMaxGroup + h * kRow + d);
      acc.x += wt * x.x;
      acc.y += wt * x.y;
      acc.z += wt * x.z;
      acc.w += wt * x.w;
    }
    if (item.direct) {
      __nv_bfloat16* dst = out_base + h * D + d;
      if (out_vec) {
        uint2 packed;
        packed.x = ptx::pack_bf16x2(acc.x, acc.y);
        packed.y = ptx::pack_bf16x2(acc.z, acc.w);
        *reinterpret_cast<uint2*>(dst) = packed;
      } else {
        dst[0] = __float2bfloat16(acc.x);
        dst[1] = __float2bfloat16(acc.y);
        dst[2] = __float2bfloat16(acc.z);
        dst[3] = __float2bfloat16(acc.w);
      }
    } else {
      float* dst = a.partial_o + (static_cast<int64_t>(blockIdx.x) * a.group + h) * D + d;
      if (part_vec) {
        *reinterpret_cast<float4*>(dst) = acc;
      } else {
        dst[0] = acc.x;
        dst[1] = acc.y;
        dst[2] = acc.z;
        dst[3] = acc.w;
      }
    }
  }
}

// One CTA per segment: merges its chunks' partials (segments of one chunk were written directly),
// and writes zeros for empty segments (zero_empty). Skipped requests / kv head slots are untouched.
constexpr int kMergeThreads = 32 * kMaxGroup;

template <int D>
__global__ void __launch_bounds__(kMergeThreads) decode_merge_kernel(DecodeArgs a) {
  const int seg = blockIdx.x;
  pdl_wait();  // the split kernel's partials (and nothing else this kernel reads) come from there
  const SegmentChunks sc = a.segments[seg];
  if (sc.count == 1 || (sc.count == 0 && !a.zero_empty)) return;
  const int request = seg / a.num_kv_heads;
  const int kv_head = seg % a.num_kv_heads;
  const int row = decode_row(a, request, kv_head);
  if (row < 0) return;
  const int64_t q_head0 = static_cast<int64_t>(request) * a.num_kv_heads * a.group + int64_t{kv_head} * a.group;
  __nv_bfloat16* const out_base = a.out + row * a.out_stride + int64_t{kv_head} * a.group * D;
  if (sc.count == 0) {
    for (int idx = threadIdx.x; idx < a.group * D; idx += blockDim.x) {
      out_base[idx] = __float2bfloat16(0.0f);
      if (a.lse != nullptr && idx % D == 0) a.lse[q_head0 + idx / D] = -INFINITY;
    }
    return;
  }
  __shared__ float s_max[kMaxGroup];
  __shared__ float s_inv_sum[kMaxGroup];
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (warp < a.group) {
    const float* plse = a.partial_lse + static_cast<int64_t>(sc.first) * a.group + warp;
    float m = -INFINITY;
    for (int c = lane; c < sc.count; c += 32) m = fmaxf(m, plse[static_cast<int64_t>(c) * a.group]);
    m = ptx::warp_max(m);
    float l = 0.0f;
    for (int c = lane; c < sc.count; c += 32) l += exp2f(plse[static_cast<int64_t>(c) * a.group] - m);
    l = ptx::warp_sum(l);
    if (lane == 0) {
      s_max[warp] = m;
      s_inv_sum[warp] = 1.0f / l;
      if (a.lse != nullptr) a.lse[q_head0 + warp] = (m + log2f(l)) * kLn2;
    }
  }
  __syncthreads();
  for (int idx = threadIdx.x; idx < a.group * D; idx += blockDim.x) {
    const int h = idx / D;
    const int d = idx % D;
    float acc = 0.0f;
    for (int c = 0; c < sc.count; ++c) {
      const int64_t slot = static_cast<int64_t>(sc.first + c) * a.group + h;
      acc += exp2f(a.partial_lse[slot] - s_max[h]) * a.partial_o[slot * D + d];
    }
    out_base[h * D + d] = __float2bfloat16(acc * s_inv_sum[h]);
  }
}

// Shared by decode.cu and avl_sparse.cu (defined in decode.cu).
Support check_decode_common(const __nv_bfloat16* q, const KvCacheView& c, const DecodePlan* plan, int layer,
                            int group, const __nv_bfloat16* out, const char* who);
DecodeArgs make_decode_args(const __nv_bfloat16* q, const KvCacheView& c, const DecodePlan::Layer& layer,
                            int group, float scale, __nv_bfloat16* out, float* lse, void* workspace);
std::size_t decode_workspace_bytes(const DecodePlan* plan, int group, int head_dim);

// The optional row mapping of DecodeParams / AvlSparseParams (see decode.h), checked and applied
// the same way for both (defined in decode.cu).
struct RowMapping {
  const int32_t* q_row = nullptr;
  int64_t q_row_stride = 0;
  int64_t out_row_stride = 0;
  int row_kv_heads = 0;
  bool zero_empty = true;
};
Support check_row_mapping(const RowMapping& m, const KvCacheView& c, const DecodePlan* plan, int layer, int group,
                          const char* who);
void apply_row_mapping(DecodeArgs& a, const RowMapping& m, const KvCacheView& c, int group);

template <int D, class RowMap>
int decode_ctas_per_sm() {
  int blocks = 0;
  KVSIM_CUDA_CHECK(cudaFuncSetAttribute(decode_split_kernel<D, RowMap>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        decode_smem_bytes<D>()));
  KVSIM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, decode_split_kernel<D, RowMap>,
                                                                 kDecodeThreads, decode_smem_bytes<D>()));
  return blocks;
}

// needs_merge false (DecodePlan::Layer::needs_merge): every segment is one direct item, so the
// merge kernel would do nothing and is not launched. Otherwise it is launched with programmatic
// dependent launch, so its start overlaps the split kernel's last CTAs.
inline constexpr int kMaxDevices = 64;

template <int D, class RowMap>
void launch_decode(const DecodeArgs& a, const RowMap& map, int num_items, int num_segments, bool needs_merge,
                   cudaStream_t stream) {
  // The shared-memory opt-in is a per-device attribute: set it once on each device the kernel runs on
  // (a process driving several GPUs launches it on each from its own thread).
  static std::once_flag configured[kMaxDevices];
  int device = 0;
  KVSIM_CUDA_CHECK(cudaGetDevice(&device));
  if (device < 0 || device >= kMaxDevices) throw std::runtime_error("decode: CUDA device index past kMaxDevices");
  std::call_once(configured[device], [] {
    KVSIM_CUDA_CHECK(cudaFuncSetAttribute(decode_split_kernel<D, RowMap>,
                                          cudaFuncAttributeMaxDynamicSharedMemorySize, decode_smem_bytes<D>()));
  });
  if (num_items > 0) {
    decode_split_kernel<D, RowMap><<<num_items, kDecodeThreads, decode_smem_bytes<D>(), stream>>>(a, map);
    KVSIM_CUDA_CHECK_LAUNCH();
  }
  if (num_segments > 0 && (needs_merge || num_items == 0)) {
    cudaLaunchConfig_t cfg{};
    cfg.gridDim = dim3(static_cast<unsigned>(num_segments));
    cfg.blockDim = dim3(kMergeThreads);
    cfg.dynamicSmemBytes = 0;
    cfg.stream = stream;
    cudaLaunchAttribute attr[1];
    attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr[0].val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = attr;
    cfg.numAttrs = num_items > 0 ? 1 : 0;
    KVSIM_CUDA_CHECK(cudaLaunchKernelEx(&cfg, decode_merge_kernel<D>, a));
    KVSIM_CUDA_CHECK_LAUNCH();
  }
}

// Without the plan's needs_merge flag (the merge kernel always runs; it skips direct segments).
template <int D, class RowMap>
void launch_decode(const DecodeArgs& a, const RowMap& map, int num_items, int num_segments, cudaStream_t stream) {
  launch_decode<D>(a, map, num_items, num_segments, true, stream);
}

}  // namespace kvsim::kernels::detail
