// VisionTower (see vision_tower.h): the vision tower's seeded weights per TP GPU, its scratch, and the
// per-step encode (encoder layers with bidirectional per-tile attention through the prefill kernel,
// then the projector over the patch rows).
#include "kernels/runtime/vision_tower.h"

#include "kernels/attention/prefill.h"
#include "kernels/common/cuda_check.h"
#include "kernels/ops/ops.h"
#include "kernels/runtime/runtime_kernels.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <stdexcept>
#include <string>

namespace kvsim::runtime {
namespace {

// Seed kinds of the vision matrices: 32 .. 41, after the decoder's WeightKind values (1 .. 12) and
// below weight_seed's per-layer stride of 64.
enum class VisionKind : uint64_t { q = 32, k, v, o, fc1, fc2, norm1, norm2, proj1, proj2 };

uint64_t vseed(uint64_t seed, int layer, VisionKind kind) {
  return weight_seed(seed, layer, static_cast<WeightKind>(static_cast<uint64_t>(kind)));
}

// Rows [src_row0, src_row0 + rows) and columns [src_col0, src_col0 + cols) of a full matrix with
// rows of src_ld elements, into dst (rows of `cols` elements, packed).
void fill_block(bf16* dst, int64_t rows, int64_t cols, int64_t src_ld, int64_t src_row0, int64_t src_col0,
                uint64_t seed, float lo, float hi, cudaStream_t stream) {
  fill_matrix({.dst = dst, .rows = rows, .cols = cols, .dst_ld = cols, .dst_col0 = 0, .src_ld = src_ld,
               .src_col0 = src_row0 * src_ld + src_col0, .seed = seed, .lo = lo, .hi = hi},
              stream);
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("VisionTower: " + what);
}

template <class T>
void upload(kernels::DeviceBuffer<T>& d, const std::vector<T>& h, cudaStream_t stream) {
  d.upload(std::span<const T>(h), stream);
}

}  // namespace

int64_t VisionLayerWeights::bytes() const {
  return static_cast<int64_t>(w_qkv.bytes() + wo.bytes() + fc1.bytes() + fc2.bytes() + norm1.bytes() + norm2.bytes());
}

int64_t VisionProjectorWeights::bytes() const { return static_cast<int64_t>(w1.bytes() + w2.bytes()); }

VisionTower::VisionTower(const VisionSpec& spec, int llm_hidden, int gpu, int gpus, uint64_t seed, cudaStream_t stream)
    : spec_(spec), llm_hidden_(llm_hidden), gpu_(gpu), gpus_(gpus) {
  const std::string name = "'" + spec.name + "' ";
  require(gpus >= 1 && gpu >= 0 && gpu < gpus, "gpu " + std::to_string(gpu) + " of " + std::to_string(gpus));
  require(spec.layers >= 0, name + "layers " + std::to_string(spec.layers) + " must be >= 0");
  require(spec.heads > 0 && spec.heads % gpus == 0,
          name + "heads " + std::to_string(spec.heads) + " must be a positive multiple of gpus " + std::to_string(gpus));
  require(spec.ffn > 0 && spec.ffn % gpus == 0,
          name + "ffn " + std::to_string(spec.ffn) + " must be a positive multiple of gpus " + std::to_string(gpus));
  require(spec.projector_hidden > 0 && spec.projector_hidden % gpus == 0,
          name + "projector_hidden " + std::to_string(spec.projector_hidden) +
              " must be a positive multiple of gpus " + std::to_string(gpus));
  require(spec.hidden > 0 && spec.hidden % spec.heads == 0 && (spec.head_dim() == 64 || spec.head_dim() == 128),
          name + "hidden " + std::to_string(spec.hidden) + " / heads " + std::to_string(spec.heads) +
              " must give head_dim 64 or 128 (the prefill kernel's)");
  require(spec.hidden % 8 == 0 && (spec.ffn / gpus) % 8 == 0 && (spec.projector_hidden / gpus) % 8 == 0 &&
              llm_hidden > 0 && llm_hidden % 8 == 0,
          name + "hidden " + std::to_string(spec.hidden) + ", ffn/gpus " + std::to_string(spec.ffn / gpus) +
              ", projector_hidden/gpus " + std::to_string(spec.projector_hidden / gpus) + " and llm_hidden " +
              std::to_string(llm_hidden) + " must be multiples of 8");
  require(spec.patch_tokens > 0 && spec.extra_tokens >= 0,
          name + "patch_tokens " + std::to_string(spec.patch_tokens) + " must be positive, extra_tokens " +
              std::to_string(spec.extra_tokens) + " >= 0");

  const int64_t H = spec.hidden, LD = int64_t{local_heads()} * spec.head_dim(), F = spec.ffn / gpus,
                P = spec.projector_hidden / gpus;
  const float a_h = std::sqrt(3.0f / static_cast<float>(H)), a_f = std::sqrt(3.0f / static_cast<float>(spec.ffn)),
              a_p = std::sqrt(3.0f / static_cast<float>(spec.projector_hidden));
  layers_.resize(static_cast<std::size_t>(spec.layers));
  for (int l = 0; l < spec.layers; ++l) {
    VisionLayerWeights& w = layers_[static_cast<std::size_t>(l)];
    w.w_qkv.resize(static_cast<std::size_t>(3 * LD * H));
    bf16* const wq = w.w_qkv.data();
    fill_block(wq, LD, H, H, gpu * LD, 0, vseed(seed, l, VisionKind::q), -a_h, a_h, stream);
    fill_block(wq + LD * H, LD, H, H, gpu * LD, 0, vseed(seed, l, VisionKind::k), -a_h, a_h, stream);
    fill_block(wq + 2 * LD * H, LD, H, H, gpu * LD, 0, vseed(seed, l, VisionKind::v), -a_h, a_h, stream);
    w.wo.resize(static_cast<std::size_t>(H * LD));
    fill_block(w.wo.data(), H, LD, H, 0, gpu * LD, vseed(seed, l, VisionKind::o), -a_h, a_h, stream);
    w.fc1.resize(static_cast<std::size_t>(F * H));
    fill_block(w.fc1.data(), F, H, H, gpu * F, 0, vseed(seed, l, VisionKind::fc1), -a_h, a_h, stream);
    w.fc2.resize(static_cast<std::size_t>(H * F));
    fill_block(w.fc2.data(), H, F, spec.ffn, 0, gpu * F, vseed(seed, l, VisionKind::fc2), -a_f, a_f, stream);
    w.norm1.resize(static_cast<std::size_t>(H));
    w.norm2.resize(static_cast<std::size_t>(H));
    fill_block(w.norm1.data(), 1, H, H, 0, 0, vseed(seed, l, VisionKind::norm1), 0.8f, 1.2f, stream);
    fill_block(w.norm2.data(), 1, H, H, 0, 0, vseed(seed, l, VisionKind::norm2), 0.8f, 1.2f, stream);
  }
  proj_.w1.resize(static_cast<std::size_t>(P * H));
  fill_block(proj_.w1.data(), P, H, H, gpu * P, 0, vseed(seed, spec.layers, VisionKind::proj1), -a_h, a_h, stream);
  proj_.w2.resize(static_cast<std::size_t>(int64_t{llm_hidden} * P));
  fill_block(proj_.w2.data(), llm_hidden, P, spec.projector_hidden, 0, gpu * P,
             vseed(seed, spec.layers, VisionKind::proj2), -a_p, a_p, stream);
  KVSIM_CUDA_CHECK(cudaStreamSynchronize(stream));
}

int64_t VisionTower::weight_bytes() const {
  int64_t b = proj_.bytes();
  for (const VisionLayerWeights& w : layers_) b += w.bytes();
  return b;
}

int64_t VisionTower::scratch_bytes_per_tile(const VisionSpec& s, int llm_hidden, int gpus) {
  (void)llm_hidden;  // the projector's output is the caller's buffer
  const int64_t n = s.encoder_tokens_per_tile(), H = s.hidden, L = s.heads / gpus, LD = L * s.head_dim(),
                F = s.ffn / gpus, P = s.projector_hidden / gpus;
  const int64_t bf16s = 3 * n * H + 3 * n * LD + n * LD + 2 * n * LD + std::max(n * F, s.patch_tokens * P);
  // offsets (int64: two ints), capacities, lengths per segment; dest rows, row tiles; cu_q, q_start;
  // patch rows. cu_q's one extra entry (4 bytes) is not per tile.
  const int64_t ints = 4 * L + n * L + n + 2 + s.patch_tokens;
  return bf16s * 2 + ints * 4;
}

int64_t VisionTower::scratch_bytes() const {
  return static_cast<int64_t>(x_.bytes() + h_.bytes() + qkv_.bytes() + attn_.bytes() + proj_out_.bytes() + act_.bytes() +
                              k_pool_.bytes() + v_pool_.bytes() + offset_.bytes() + capacity_.bytes() +
                              length_.bytes() + dest_row_.bytes() + row_tile_.bytes() + cu_q_.bytes() +
                              q_start_.bytes() + patch_src_.bytes());
}

void VisionTower::fill_input(const VisionSpec& s, int tiles, uint64_t input_seed, bf16* dst, cudaStream_t stream) {
  const int64_t rows = int64_t{tiles} * s.encoder_tokens_per_tile();
  fill_matrix({.dst = dst, .rows = rows, .cols = s.hidden, .dst_ld = s.hidden, .dst_col0 = 0, .src_ld = s.hidden,
               .src_col0 = 0, .seed = input_seed, .lo = -1.0f, .hi = 1.0f},
              stream);
}

void VisionTower::reserve(int max_tiles, cudaStream_t stream) {
  if (max_tiles <= reserved_tiles_) return;
  const int T = max_tiles, n = spec_.encoder_tokens_per_tile(), L = local_heads(), E = spec_.extra_tokens,
            NP = spec_.patch_tokens;
  const int64_t R = int64_t{T} * n, H = spec_.hidden, LD = int64_t{L} * spec_.head_dim(), F = spec_.ffn / gpus_,
                P = spec_.projector_hidden / gpus_;
  const auto sz = [](int64_t v) { return static_cast<std::size_t>(v); };
  x_.resize(sz(R * H));
  h_.resize(sz(R * H));
  proj_out_.resize(sz(R * H));
  qkv_.resize(sz(R * 3 * LD));
  attn_.resize(sz(R * LD));
  k_pool_.resize(sz(R * LD));
  v_pool_.resize(sz(R * LD));
  act_.resize(sz(std::max(R * F, int64_t{T} * NP * P)));

  // Segment (tile r, local head j) = r * L + j holds rows [s * n, s * n + n) of the pools, all live.
  host_offset_.resize(sz(int64_t{T} * L));
  for (std::size_t s = 0; s < host_offset_.size(); ++s) host_offset_[s] = static_cast<int64_t>(s) * n;
  host_capacity_.assign(sz(int64_t{T} * L), n);
  host_length_.assign(sz(int64_t{T} * L), n);
  host_dest_row_.resize(sz(R * L));
  host_row_tile_.resize(sz(R));
  for (int64_t t = 0; t < R; ++t) {
    host_row_tile_[sz(t)] = static_cast<int32_t>(t / n);
    for (int j = 0; j < L; ++j) host_dest_row_[sz(t * L + j)] = static_cast<int32_t>(t % n);
  }
  host_cu_q_.resize(sz(T + 1));
  for (int r = 0; r <= T; ++r) host_cu_q_[sz(r)] = r * n;
  host_q_start_.assign(sz(T), n);  // query row i at position n + i: attends all n rows of its tile
  host_patch_src_.resize(sz(int64_t{T} * NP));
  for (int r = 0; r < T; ++r)
    for (int i = 0; i < NP; ++i) host_patch_src_[sz(int64_t{r} * NP + i)] = r * n + E + i;  // CLS rows dropped
  upload(offset_, host_offset_, stream);
  upload(capacity_, host_capacity_, stream);
  upload(length_, host_length_, stream);
  upload(dest_row_, host_dest_row_, stream);
  upload(row_tile_, host_row_tile_, stream);
  upload(cu_q_, host_cu_q_, stream);
  upload(q_start_, host_q_start_, stream);
  upload(patch_src_, host_patch_src_, stream);
  reserved_tiles_ = T;
}

void VisionTower::encode(int tiles, uint64_t input_seed, bf16* out, const VisionStepIo& io) {
  if (tiles < 0) throw std::invalid_argument("VisionTower::encode: tiles " + std::to_string(tiles) + " < 0");
  if (tiles == 0) return;
  if (out == nullptr || !io.gemm || (gpus_ > 1 && !io.all_reduce))
    throw std::invalid_argument("VisionTower::encode: out, io.gemm and (on more than 1 GPU) io.all_reduce are required");
  if (tiles > reserved_tiles_) {
    reserve(tiles, io.stream);  // host vectors are members: the stream-ordered uploads stay valid
  }
  cudaStream_t st = io.stream;
  const auto mark = [&](Phase p) {
    if (io.mark) io.mark(p);
  };
  const int n = spec_.encoder_tokens_per_tile(), L = local_heads(), D = spec_.head_dim(), Hd = spec_.hidden;
  const int64_t R = int64_t{tiles} * n, H = Hd, LD = int64_t{L} * D, S = 3 * LD, F = spec_.ffn / gpus_,
                P = spec_.projector_hidden / gpus_, NP = int64_t{tiles} * spec_.patch_tokens;
  bf16* const q = qkv_.data();
  const kernels::KvCacheView pool{k_pool_.data(), v_pool_.data(), offset_.data(), capacity_.data(), length_.data(),
                                  tiles, L, D};

  fill_input(spec_, tiles, input_seed, x_.data(), st);
  mark(Phase::other);
  for (int l = 0; l < spec_.layers; ++l) {
    const VisionLayerWeights& w = layers_[static_cast<std::size_t>(l)];
    // Attention block. The previous layer's MLP residual add is fused into this norm.
    kernels::RmsNormParams n1{.x = x_.data(), .weight = w.norm1.data(), .y = h_.data(), .rows = R, .hidden = Hd,
                              .eps = eps_};
    if (l > 0) n1.residual = proj_out_.data(), n1.sum = x_.data();
    kernels::run(n1, st);
    mark(Phase::other);
    io.gemm(h_.data(), w.w_qkv.data(), q, R, S, H);
    mark(Phase::gemm);
    write_kv({.k = q + LD, .v = q + 2 * LD, .row_request = row_tile_.data(), .dest_row = dest_row_.data(), .rows = R,
              .src_heads = L, .cache = pool, .src_stride = S},
             st);
    mark(Phase::other);
    kernels::run(kernels::PrefillParams{.q = q, .cu_q = cu_q_.data(), .q_start = q_start_.data(), .total_q = R,
                                        .cache = pool, .group_size = 1, .out = attn_.data(), .q_stride = S},
                 nullptr, st);
    mark(Phase::attention);
    io.gemm(attn_.data(), w.wo.data(), proj_out_.data(), R, H, LD);
    mark(Phase::gemm);
    if (gpus_ > 1) {
      io.all_reduce(proj_out_.data(), static_cast<std::size_t>(R * H));
      mark(Phase::allreduce);
    }
    // MLP block: residual add + norm in one kernel, fc1, quick_gelu, fc2, all-reduce.
    kernels::run(kernels::RmsNormParams{.x = x_.data(), .weight = w.norm2.data(), .y = h_.data(), .rows = R,
                                        .hidden = Hd, .eps = eps_, .residual = proj_out_.data(), .sum = x_.data()},
                 st);
    mark(Phase::other);
    io.gemm(h_.data(), w.fc1.data(), act_.data(), R, F, H);
    mark(Phase::gemm);
    gelu({.x = act_.data(), .y = act_.data(), .count = R * F, .quick = true}, st);
    mark(Phase::other);
    io.gemm(act_.data(), w.fc2.data(), proj_out_.data(), R, H, F);
    mark(Phase::gemm);
    if (gpus_ > 1) {
      io.all_reduce(proj_out_.data(), static_cast<std::size_t>(R * H));
      mark(Phase::allreduce);
    }
  }
  // The last layer's residual add, then the patch rows (each tile's CLS rows dropped) gathered.
  if (spec_.layers > 0) kernels::run(kernels::AddParams{.x = x_.data(), .y = proj_out_.data(), .count = R * H}, st);
  copy_rows({.src = x_.data(), .dst = h_.data(), .src_idx = patch_src_.data(), .n = NP, .src_stride = H, .dst_stride = H,
             .width = H},
            st);
  mark(Phase::other);
  // Projector: Linear(h -> projector_hidden) shard, GELU, Linear(-> llm_hidden) partial sums, all-reduce.
  io.gemm(h_.data(), proj_.w1.data(), act_.data(), NP, P, H);
  mark(Phase::gemm);
  gelu({.x = act_.data(), .y = act_.data(), .count = NP * P, .quick = false}, st);
  mark(Phase::other);
  io.gemm(act_.data(), proj_.w2.data(), out, NP, llm_hidden_, P);
  mark(Phase::gemm);
  if (gpus_ > 1) {
    io.all_reduce(out, static_cast<std::size_t>(NP * llm_hidden_));
    mark(Phase::allreduce);
  }
}

}  // namespace kvsim::runtime
