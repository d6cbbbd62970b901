// Per-head token selection (top-k per segment) and compaction into the segment layout.
#include "kernels/compress/select_compact.h"

#include "kernels/common/cuda_check.h"
#include "kernels/topk/topk.h"

namespace kvsim::kernels {
namespace {

constexpr int kRowsPerBlock = 16;
constexpr int kThreads = 128;

struct Rows {
  int64_t* begin;
  int32_t* len;
  int32_t* k;
  int32_t* idx;
};

Rows carve(const CompressParams& p, void* workspace) {
  const int segs = p.cache.num_segments();
  Rows r;
  r.begin = static_cast<int64_t*>(workspace);
  r.len = reinterpret_cast<int32_t*>(r.begin + segs);
  r.k = r.len + segs;
  r.idx = r.k + segs;
  return r;
}

struct SegmentGeometry {
  int32_t begin, n, w_eff, n_prefix, keep;
};

__device__ SegmentGeometry segment_geometry(const CompressParams& p, int seg) {
  const int b = seg / p.cache.num_kv_heads;
  SegmentGeometry g;
  g.begin = p.cu_seqlens[b];
  g.n = p.cu_seqlens[b + 1] - g.begin;
  g.w_eff = min(p.window, g.n);
  g.n_prefix = g.n - g.w_eff;
  g.keep = min(max(p.budgets[seg], 0), g.n_prefix);
  return g;
}

__global__ void select_rows_kernel(CompressParams p, Rows r) {
  const int seg = blockIdx.x * blockDim.x + threadIdx.x;
  if (seg >= p.cache.num_segments()) return;
  const int h = seg % p.cache.num_kv_heads;
  const SegmentGeometry g = segment_geometry(p, seg);
  r.begin[seg] = score_index(p.cache.num_kv_heads, g.begin, g.n, h, 0);
  r.len[seg] = g.n_prefix;
  r.k[seg] = g.keep;
}

// Grid (row blocks, segments): copies kept rows (selected prefix tokens, then the window).
__global__ void __launch_bounds__(kThreads) compact_kernel(CompressParams p, Rows r) {
  const int seg = blockIdx.y;
  const int h = seg % p.cache.num_kv_heads;
  const SegmentGeometry g = segment_geometry(p, seg);
  const int kept = g.keep + g.w_eff;
  const KvCacheView& c = p.cache;
  if (kept > c.capacity[seg]) {
    if (blockIdx.x == 0 && threadIdx.x == 0 && p.overflow != nullptr) *p.overflow = 1;
    return;
  }
  if (blockIdx.x == 0 && threadIdx.x == 0) c.length[seg] = kept;
  const int chunks = c.head_dim / 8;
  const int32_t* idx = r.idx + r.begin[seg];
  for (int i = threadIdx.x; i < kRowsPerBlock * chunks; i += kThreads) {
    const int row = blockIdx.x * kRowsPerBlock + i / chunks;
    const int chunk = i % chunks;
    if (row >= kept) break;  // rows grow with i
    const int token = row < g.keep ? idx[row] : g.n_prefix + (row - g.keep);
    const int64_t src = ((static_cast<int64_t>(g.begin) + token) * c.num_kv_heads + h) * c.head_dim;
    const int64_t dst = (c.offset[seg] + row) * c.head_dim;
    reinterpret_cast<uint4*>(c.k + dst)[chunk] = reinterpret_cast<const uint4*>(p.k + src)[chunk];
    reinterpret_cast<uint4*>(c.v + dst)[chunk] = reinterpret_cast<const uint4*>(p.v + src)[chunk];
  }
}

}  // namespace

Support supported(const CompressParams& p) {
  const KvCacheView& c = p.cache;
  if (c.head_dim <= 0 || c.head_dim % 8 != 0) return Support::no("compress: head_dim must be a multiple of 8");
  if (p.window < 0) return Support::no("compress: window must be >= 0");
  if (c.num_segments() > 0 && (p.scores == nullptr || p.budgets == nullptr || p.k == nullptr || p.v == nullptr ||
                               p.cu_seqlens == nullptr || c.k == nullptr || c.v == nullptr ||
                               c.offset == nullptr || c.capacity == nullptr || c.length == nullptr))
    return Support::no("compress: all pointers must be set");
  return Support::yes();
}

std::size_t workspace_bytes(const CompressParams& p) {
  const std::size_t segs = static_cast<std::size_t>(p.cache.num_segments());
  return segs * (sizeof(int64_t) + 2 * sizeof(int32_t)) +
         static_cast<std::size_t>(p.cache.num_kv_heads) * p.total_tokens * sizeof(int32_t);
}

void run(const CompressParams& p, void* workspace, cudaStream_t stream) {
  const int segs = p.cache.num_segments();
  if (segs == 0 || p.max_seq_len == 0) return;
  const Rows r = carve(p, workspace);
  select_rows_kernel<<<(segs + 127) / 128, 128, 0, stream>>>(p, r);
  KVSIM_CUDA_CHECK_LAUNCH();
  run(TopkParams{.scores = p.scores,
                 .num_rows = segs,
                 .row_begin = r.begin,
                 .row_len = r.len,
                 .row_k = r.k,
                 .out_idx = r.idx,
                 .out_begin = r.begin},
      nullptr, stream);
  const dim3 grid((p.max_seq_len + kRowsPerBlock - 1) / kRowsPerBlock, segs);
  compact_kernel<<<grid, kThreads, 0, stream>>>(p, r);
  KVSIM_CUDA_CHECK_LAUNCH();
}

}  // namespace kvsim::kernels
