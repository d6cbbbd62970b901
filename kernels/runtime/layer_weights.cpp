// See layer_weights.h.
#include "kernels/runtime/layer_weights.h"

#include "kernels/runtime/runtime_kernels.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace kvsim::runtime {

uint64_t weight_seed(uint64_t seed, int layer, WeightKind kind) {
  return seed * 0x100000001B3ull + static_cast<uint64_t>(layer) * 64 + static_cast<uint64_t>(kind);
}

namespace {

// Columns [src_col0, src_col0 + cols) of the full matrix (row length src_ld), rows [row0, row0 + rows),
// into dst at column dst_col0.
void fill_block(bf16* dst, int64_t rows, int64_t cols, int64_t dst_ld, int64_t dst_col0, int64_t src_ld,
                int64_t src_row0, int64_t src_col0, uint64_t seed, float lo, float hi, cudaStream_t stream) {
  fill_matrix({.dst = dst, .rows = rows, .cols = cols, .dst_ld = dst_ld, .dst_col0 = dst_col0, .src_ld = src_ld,
               .src_col0 = src_row0 * src_ld + src_col0, .seed = seed, .lo = lo, .hi = hi},
              stream);
}

}  // namespace

LayerWeights LayerWeights::make(const ModelSpec& m, const Placement& placement, int layer, int gpu, int gpus,
                                uint64_t seed, cudaStream_t stream) {
  if (m.ffn % gpus != 0 || (m.ffn / gpus) % 8 != 0)
    throw std::invalid_argument("LayerWeights: ffn " + std::to_string(m.ffn) + " must split into " +
                                std::to_string(gpus) + " shards of a multiple of 8");
  LayerWeights w;
  w.layer = layer;
  for (int h = 0; h < m.kv_heads; ++h)
    for (const HeadCopy& c : placement.head_copies(layer, h))
      if (c.gpu == gpu) w.heads.push_back(h);
  const int64_t H = m.hidden, D = m.head_dim, G = m.group_size(), L = w.local_heads();
  const float a_in = std::sqrt(3.0f / static_cast<float>(H));
  const float a_o = std::sqrt(3.0f / static_cast<float>(m.q_heads * D));
  w.w_qkv.resize(static_cast<std::size_t>((L * G * D + 2 * L * D) * H));
  w.wo.resize(static_cast<std::size_t>(H * L * G * D));
  bf16* const wq = w.w_qkv.data();
  bf16* const wk = wq + L * G * D * H;
  bf16* const wv = wk + L * D * H;
  for (int64_t i = 0; i < L; ++i) {
    const int64_t h = w.heads[static_cast<std::size_t>(i)];
    // Row blocks of Wq/Wk/Wv: contiguous; one (rows x H) block each.
    fill_block(wq + i * G * D * H, G * D, H, H, 0, H, h * G * D, 0, weight_seed(seed, layer, WeightKind::q), -a_in, a_in,
               stream);
    fill_block(wk + i * D * H, D, H, H, 0, H, h * D, 0, weight_seed(seed, layer, WeightKind::k), -a_in, a_in, stream);
    fill_block(wv + i * D * H, D, H, H, 0, H, h * D, 0, weight_seed(seed, layer, WeightKind::v), -a_in, a_in, stream);
    // Column block of Wo [H][q_heads * D].
    fill_block(w.wo.data(), H, G * D, L * G * D, i * G * D, m.q_heads * D, 0, h * G * D,
               weight_seed(seed, layer, WeightKind::o), -a_o, a_o, stream);
  }
  const int64_t F = m.ffn / gpus;
  w.ffn_shard = static_cast<int>(F);
  w.ffn_offset = F * gpu;
  w.w_gate_up.resize(static_cast<std::size_t>(2 * F * H));
  w.w_down.resize(static_cast<std::size_t>(H * F));
  fill_block(w.w_gate_up.data(), F, H, H, 0, H, w.ffn_offset, 0, weight_seed(seed, layer, WeightKind::gate), -a_in, a_in,
             stream);
  fill_block(w.w_gate_up.data() + F * H, F, H, H, 0, H, w.ffn_offset, 0, weight_seed(seed, layer, WeightKind::up),
             -a_in, a_in, stream);
  const float a_d = std::sqrt(3.0f / static_cast<float>(m.ffn));
  fill_block(w.w_down.data(), H, F, F, 0, m.ffn, 0, w.ffn_offset, weight_seed(seed, layer, WeightKind::down), -a_d, a_d,
             stream);
  w.attn_norm.resize(static_cast<std::size_t>(H));
  w.mlp_norm.resize(static_cast<std::size_t>(H));
  fill_block(w.attn_norm.data(), 1, H, H, 0, H, 0, 0, weight_seed(seed, layer, WeightKind::attn_norm), 0.8f, 1.2f, stream);
  fill_block(w.mlp_norm.data(), 1, H, H, 0, H, 0, 0, weight_seed(seed, layer, WeightKind::mlp_norm), 0.8f, 1.2f, stream);
  return w;
}

int64_t LayerWeights::bytes() const {
  return static_cast<int64_t>(w_qkv.bytes() + wo.bytes() + w_gate_up.bytes() + w_down.bytes() +
                              attn_norm.bytes() + mlp_norm.bytes());
}

LmHeadWeights LmHeadWeights::make(const ModelSpec& m, int gpu, int gpus, uint64_t seed, cudaStream_t stream) {
  LmHeadWeights w;
  const int64_t H = m.hidden, V = m.vocab;
  // Shard boundaries at multiples of 8 rows (16-byte aligned logits rows for cuBLASLt), the last at V.
  auto bound = [&](int64_t i) { return i == gpus ? V : V * i / gpus / 8 * 8; };
  w.vocab_offset = bound(gpu);
  w.vocab_rows = bound(gpu + 1) - w.vocab_offset;
  const float a = std::sqrt(3.0f / static_cast<float>(H));
  w.norm.resize(static_cast<std::size_t>(H));
  fill_block(w.norm.data(), 1, H, H, 0, H, 0, 0, weight_seed(seed, 0, WeightKind::final_norm), 0.8f, 1.2f, stream);
  w.w.resize(static_cast<std::size_t>(w.vocab_rows * H));
  if (w.vocab_rows > 0)
    fill_block(w.w.data(), w.vocab_rows, H, H, 0, H, w.vocab_offset, 0, weight_seed(seed, 0, WeightKind::lm_head), -a, a,
               stream);
  return w;
}

kernels::DeviceBuffer<bf16> make_embedding(const ModelSpec& m, uint64_t seed, cudaStream_t stream) {
  kernels::DeviceBuffer<bf16> e(static_cast<std::size_t>(m.vocab) * m.hidden);
  fill_block(e.data(), m.vocab, m.hidden, m.hidden, 0, m.hidden, 0, 0, weight_seed(seed, 0, WeightKind::embedding),
             -1.0f, 1.0f, stream);
  return e;
}

}  // namespace kvsim::runtime
