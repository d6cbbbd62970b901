// See decoder_runtime.h.
#include "kernels/runtime/decoder_runtime.h"

#include "kernels/attention/decode.h"
#include "kernels/attention/decode_plan.h"
#include "kernels/attention/prefill.h"
#include "kernels/comm/comm.h"
#include "kernels/common/cuda_check.h"
#include "kernels/gemm/gemm.h"
#include "kernels/ops/ops.h"
#include "kernels/runtime/runtime_kernels.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

namespace kvsim::runtime {

using kernels::DeviceBuffer;

struct DecoderRuntime::Gpu {
  int id = 0;
  cudaStream_t stream = nullptr;
  std::unique_ptr<kernels::GemmHandle> gemm;
  std::map<std::array<int64_t, 3>, std::unique_ptr<kernels::GemmPlan>> plans;
  std::vector<LayerWeights> layers;
  DeviceBuffer<bf16> embedding;
  GpuKvState kv;
  std::unique_ptr<kernels::DecodePlan> plan;
  DeviceBuffer<char> decode_ws;
  DeviceBuffer<bf16> x, h, q, k, v, attn, proj, gu, act, dec_q, dec_out;
  // Per-step integer inputs, uploaded in one copy: host vector, device copy, offsets.
  std::vector<int32_t> host;
  DeviceBuffer<int32_t> arena;
  std::vector<RowBlock> host_blocks;
  DeviceBuffer<RowBlock> blocks;
  std::size_t off_ids = 0, off_pos = 0, off_row_req = 0, off_cu_q = 0, off_q_start = 0, off_dec_src = 0, off_dec_dst = 0;
  std::vector<std::size_t> off_stage_dest, off_cache_dest, off_stage_len;
  std::vector<int> block_first, block_count, block_max;
  PhaseTimer timer;

  std::size_t put(const std::vector<int32_t>& values) {
    const std::size_t at = host.size();
    host.insert(host.end(), values.begin(), values.end());
    host.resize((host.size() + 3) / 4 * 4);  // 16-byte aligned starts
    return at;
  }
  const int32_t* dev(std::size_t off) const { return arena.data() + off; }

  void gemm_run(const bf16* in, const bf16* w, bf16* out, int64_t m, int64_t n, int64_t k) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
      KVSIM_CUDA_CHECK(cudaMemsetAsync(out, 0, static_cast<std::size_t>(m * n) * sizeof(bf16), stream));
      return;
    }
    auto& p = plans[{m, n, k}];
    if (!p) p = std::make_unique<kernels::GemmPlan>(*gemm, m, n, k);
    p->run(*gemm, in, w, out, stream);
  }
};

DecoderRuntime::DecoderRuntime(RuntimeConfig config) : cfg_(std::move(config)) {
  const ModelSpec& m = cfg_.model;
  if (const std::string why = placement_problem(cfg_.placement); !why.empty())
    throw std::invalid_argument("DecoderRuntime: bad placement: " + why);
  if (cfg_.placement.layers != m.layers || cfg_.placement.kv_heads != m.kv_heads)
    throw std::invalid_argument("DecoderRuntime: placement shape does not match the model");
  layers_run_ = cfg_.layers_run > 0 ? std::min(cfg_.layers_run, m.layers) : m.layers;
  const int n = cfg_.placement.gpus;
  comm_ = std::make_unique<kernels::LocalComm>(n);
  for (int g = 0; g < n; ++g) {
    KVSIM_CUDA_CHECK(cudaSetDevice(g));
    auto gpu = std::make_unique<Gpu>();
    gpu->id = g;
    gpu->stream = comm_->stream(g);
    gpu->gemm = std::make_unique<kernels::GemmHandle>();
    gpu->embedding = make_embedding(m, cfg_.seed, gpu->stream);
    for (int l = 0; l < layers_run_; ++l)
      gpu->layers.push_back(LayerWeights::make(m, cfg_.placement, l, g, n, cfg_.seed, gpu->stream));
    gpu->plan = std::make_unique<kernels::DecodePlan>(kernels::decode_schedule_config_for_device(m.head_dim));
    gpu_.push_back(std::move(gpu));
  }
  comm_->synchronize();
}

DecoderRuntime::~DecoderRuntime() {
  // Free each GPU's buffers with its device current.
  for (auto& g : gpu_) {
    cudaSetDevice(g->id);
    cudaStreamSynchronize(g->stream);
    g.reset();
  }
}

void DecoderRuntime::admit(std::vector<RuntimeRequest> batch) {
  for (const RuntimeRequest& r : batch)
    if (r.budgets.layers != cfg_.model.layers || r.budgets.kv_heads != cfg_.model.kv_heads)
      throw std::invalid_argument("DecoderRuntime::admit: request " + std::to_string(r.id) +
                                  " has budgets of the wrong shape");
  batch_ = std::move(batch);
  prefilled_.assign(batch_.size(), 0);
  decoded_.assign(batch_.size(), 0);
  for (auto& g : gpu_) {
    KVSIM_CUDA_CHECK(cudaSetDevice(g->id));
    std::vector<std::vector<int>> heads;
    for (const LayerWeights& w : g->layers) heads.push_back(w.heads);
    g->kv.build(cfg_.model, cfg_.placement, batch_, g->id, heads);
  }
}

StepResult DecoderRuntime::run_step(const RuntimeStep& step) {
  const auto wall0 = std::chrono::steady_clock::now();
  const ModelSpec& m = cfg_.model;
  const int B = static_cast<int>(batch_.size()), D = m.head_dim, G = m.group_size();
  // Rows: prefill chunks in batch order, then decodes in batch order.
  std::vector<StepRequest> pre, dec;
  for (const StepRequest& s : step.requests) {
    if (s.index < 0 || s.index >= B) throw std::invalid_argument("run_step: request index out of range");
    const RuntimeRequest& r = batch_[static_cast<std::size_t>(s.index)];
    if (s.decode) {
      if (prefilled_[static_cast<std::size_t>(s.index)] != r.prompt_tokens)
        throw std::invalid_argument("run_step: decode of request " + std::to_string(r.id) + " before its prefill ended");
      dec.push_back(s);
    } else {
      if (s.chunk_start != prefilled_[static_cast<std::size_t>(s.index)] || s.chunk_len < 1 ||
          s.chunk_start + s.chunk_len > r.prompt_tokens)
        throw std::invalid_argument("run_step: prefill chunk of request " + std::to_string(r.id) + " out of order");
      pre.push_back(s);
    }
  }
  auto by_index = [](const StepRequest& a, const StepRequest& b) { return a.index < b.index; };
  std::sort(pre.begin(), pre.end(), by_index);
  std::sort(dec.begin(), dec.end(), by_index);
  prefill_rows_ = 0;
  for (const StepRequest& s : pre) prefill_rows_ += s.chunk_len;
  decode_rows_ = static_cast<int>(dec.size());
  rows_ = prefill_rows_ + decode_rows_;
  const int R = rows_, P = prefill_rows_;

  std::mt19937_64 rng(cfg_.seed * 1000003u + static_cast<uint64_t>(step_count_++));
  std::uniform_int_distribution<int32_t> token(0, m.vocab - 1);
  ids_.assign(static_cast<std::size_t>(R), 0);
  positions_.assign(static_cast<std::size_t>(R), 0);
  std::vector<int32_t> row_req(static_cast<std::size_t>(R)), cu_q(static_cast<std::size_t>(B) + 1, 0),
      q_start(static_cast<std::size_t>(B), 0), dec_src, dec_dst;
  {
    int row = 0;
    std::vector<int32_t> chunk(static_cast<std::size_t>(B), 0);
    for (const StepRequest& s : pre) {
      chunk[static_cast<std::size_t>(s.index)] = s.chunk_len;
      q_start[static_cast<std::size_t>(s.index)] = s.chunk_start;
      for (int i = 0; i < s.chunk_len; ++i, ++row) {
        row_req[static_cast<std::size_t>(row)] = s.index;
        positions_[static_cast<std::size_t>(row)] = s.chunk_start + i;
      }
    }
    for (int b = 0; b < B; ++b) cu_q[static_cast<std::size_t>(b) + 1] = cu_q[static_cast<std::size_t>(b)] + chunk[static_cast<std::size_t>(b)];
    for (const StepRequest& s : dec) {
      row_req[static_cast<std::size_t>(row)] = s.index;
      positions_[static_cast<std::size_t>(row)] =
          batch_[static_cast<std::size_t>(s.index)].prompt_tokens + decoded_[static_cast<std::size_t>(s.index)];
      dec_src.push_back(row);
      dec_dst.push_back(s.index);
      ++row;
    }
    for (auto& id : ids_) id = token(rng);
  }

  for (auto& gp : gpu_) {
    Gpu& g = *gp;
    KVSIM_CUDA_CHECK(cudaSetDevice(g.id));
    GpuKvState& kv = g.kv;
    const int hm = kv.h_max;
    g.host.clear();
    g.off_ids = g.put(ids_);
    g.off_pos = g.put(positions_);
    g.off_row_req = g.put(row_req);
    g.off_cu_q = g.put(cu_q);
    g.off_q_start = g.put(q_start);
    g.off_dec_src = g.put(dec_src);
    g.off_dec_dst = g.put(dec_dst);
    g.off_stage_dest.assign(static_cast<std::size_t>(layers_run_), 0);
    g.off_cache_dest.assign(static_cast<std::size_t>(layers_run_), 0);
    g.off_stage_len.assign(static_cast<std::size_t>(layers_run_), 0);
    g.block_first.assign(static_cast<std::size_t>(layers_run_), 0);
    g.block_count.assign(static_cast<std::size_t>(layers_run_), 0);
    g.block_max.assign(static_cast<std::size_t>(layers_run_), 0);
    g.host_blocks.clear();
    std::vector<int32_t> plan_lengths(static_cast<std::size_t>(layers_run_) * B * hm, 0);
    for (int l = 0; l < layers_run_; ++l) {
      KvPool& st = kv.stage[static_cast<std::size_t>(l)];
      KvPool& ca = kv.cache[static_cast<std::size_t>(l)];
      const int L = st.heads;
      std::vector<int32_t> sdest(static_cast<std::size_t>(P) * L, -1), cdest(static_cast<std::size_t>(decode_rows_) * L, -1);
      int row = 0;
      for (const StepRequest& s : pre) {
        for (int i = 0; i < s.chunk_len; ++i, ++row)
          for (int h = 0; h < L; ++h)
            if (st.table.capacity[static_cast<std::size_t>(s.index) * L + h] > 0)
              sdest[static_cast<std::size_t>(row) * L + h] = s.chunk_start + i;
        for (int h = 0; h < L; ++h) {
          const std::size_t seg = static_cast<std::size_t>(s.index) * L + h;
          if (st.table.capacity[seg] > 0) st.length[seg] = s.chunk_start + s.chunk_len;
        }
        // Prefill end: keep the last `kept` rows of each served head in the cache.
        const RuntimeRequest& r = batch_[static_cast<std::size_t>(s.index)];
        if (s.chunk_start + s.chunk_len == r.prompt_tokens)
          for (int h = 0; h < L; ++h) {
            const std::size_t sseg = static_cast<std::size_t>(s.index) * L + h;
            const std::size_t cseg = static_cast<std::size_t>(s.index) * hm + h;
            if (st.table.capacity[sseg] == 0) continue;
            const int32_t kept = std::min(r.budgets.at(l, kv.heads[static_cast<std::size_t>(l)][static_cast<std::size_t>(h)]),
                                          r.prompt_tokens);
            ca.length[cseg] = kept;
            if (kept == 0) continue;
            g.host_blocks.push_back({st.table.offset[sseg] + r.prompt_tokens - kept, ca.table.offset[cseg], kept});
            ++g.block_count[static_cast<std::size_t>(l)];
            g.block_max[static_cast<std::size_t>(l)] = std::max(g.block_max[static_cast<std::size_t>(l)], kept);
          }
      }
      if (l + 1 < layers_run_) g.block_first[static_cast<std::size_t>(l) + 1] = static_cast<int>(g.host_blocks.size());
      for (int d = 0; d < decode_rows_; ++d) {
        const int b = dec[static_cast<std::size_t>(d)].index;
        for (int h = 0; h < L; ++h) {
          const std::size_t cseg = static_cast<std::size_t>(b) * hm + h;
          if (ca.table.capacity[cseg] == 0) continue;
          if (ca.length[cseg] < ca.table.capacity[cseg]) {  // full (growth < 1 heads): no eviction yet, stop growing
            cdest[static_cast<std::size_t>(d) * L + h] = ca.length[cseg];
            ++ca.length[cseg];
          }
          plan_lengths[(static_cast<std::size_t>(l) * B + b) * hm + h] = ca.length[cseg];
        }
      }
      g.off_stage_dest[static_cast<std::size_t>(l)] = g.put(sdest);
      g.off_cache_dest[static_cast<std::size_t>(l)] = g.put(cdest);
      g.off_stage_len[static_cast<std::size_t>(l)] = g.put(st.length);
    }
    g.arena.upload(std::span<const int32_t>(g.host), g.stream);
    g.blocks.upload(std::span<const RowBlock>(g.host_blocks), g.stream);
    if (decode_rows_ > 0) g.plan->update(plan_lengths, layers_run_, B * hm, g.stream);
    // Scratch (reallocated only when a step is larger than any before).
    const std::size_t rows = static_cast<std::size_t>(std::max(R, 1));
    const std::size_t qd = static_cast<std::size_t>(std::max(hm, 1)) * G * D;
    g.x.resize(rows * m.hidden);
    g.h.resize(rows * m.hidden);
    g.proj.resize(rows * m.hidden);
    g.q.resize(rows * qd);
    g.attn.resize(rows * qd);
    g.k.resize(rows * static_cast<std::size_t>(std::max(hm, 1)) * D);
    g.v.resize(rows * static_cast<std::size_t>(std::max(hm, 1)) * D);
    const std::size_t F = static_cast<std::size_t>(m.ffn / gpus());
    g.gu.resize(rows * 2 * F);
    g.act.resize(rows * F);
    g.dec_q.resize(static_cast<std::size_t>(std::max(B, 1)) * qd);
    g.dec_out.resize(static_cast<std::size_t>(std::max(B, 1)) * qd);
    if (decode_rows_ > 0) {
      kernels::DecodeParams dp{.q = g.dec_q.data(), .cache = kv.cache[0].view(B, D), .plan = g.plan.get(),
                               .layer = 0, .group_size = G, .out = g.dec_out.data()};
      g.decode_ws.resize(std::max<std::size_t>(kernels::workspace_bytes(dp), 1));
    }
    g.timer.start(g.stream);
    if (R > 0)
      copy_rows({.src = g.embedding.data(), .dst = g.x.data(), .src_idx = g.dev(g.off_ids), .n = R,
                 .src_stride = m.hidden, .dst_stride = m.hidden, .width = m.hidden},
                g.stream);
    g.timer.mark(Phase::other);
  }

  if (R > 0)
    for (int l = 0; l < layers_run_; ++l) {
      for (auto& g : gpu_) layer_attention(*g, l);
      all_reduce_proj();
      for (auto& g : gpu_) layer_mlp(*g, l);
    }

  for (const StepRequest& s : pre) prefilled_[static_cast<std::size_t>(s.index)] += s.chunk_len;
  for (const StepRequest& s : dec) ++decoded_[static_cast<std::size_t>(s.index)];

  StepResult res;
  res.rows = R;
  res.prefill_rows = P;
  for (auto& g : gpu_) {
    KVSIM_CUDA_CHECK(cudaSetDevice(g->id));
    KVSIM_CUDA_CHECK(cudaStreamSynchronize(g->stream));
    GpuStepTiming t;
    t.phase_s = g->timer.collect();
    for (double s : t.phase_s) t.total_s += s;
    res.gpus.push_back(t);
  }
  res.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return res;
}

void DecoderRuntime::layer_attention(Gpu& g, int l) {
  const ModelSpec& m = cfg_.model;
  const int B = static_cast<int>(batch_.size()), D = m.head_dim, G = m.group_size(), R = rows_, P = prefill_rows_;
  KVSIM_CUDA_CHECK(cudaSetDevice(g.id));
  const LayerWeights& w = g.layers[static_cast<std::size_t>(l)];
  KvPool& st = g.kv.stage[static_cast<std::size_t>(l)];
  KvPool& ca = g.kv.cache[static_cast<std::size_t>(l)];
  const int L = w.local_heads(), hm = g.kv.h_max;
  const int64_t QD = int64_t{L} * G * D, KD = int64_t{L} * D;

  kernels::run(kernels::RmsNormParams{.x = g.x.data(), .weight = w.attn_norm.data(), .y = g.h.data(), .rows = R,
                                      .hidden = m.hidden, .eps = cfg_.rms_eps},
               g.stream);
  g.timer.mark(Phase::other);
  g.gemm_run(g.h.data(), w.wq.data(), g.q.data(), R, QD, m.hidden);
  g.gemm_run(g.h.data(), w.wk.data(), g.k.data(), R, KD, m.hidden);
  g.gemm_run(g.h.data(), w.wv.data(), g.v.data(), R, KD, m.hidden);
  g.timer.mark(Phase::gemm);
  if (L > 0) {
    kernels::run(kernels::RopeParams{.q = g.q.data(), .k = g.k.data(), .positions = g.dev(g.off_pos), .tokens = R,
                                     .q_heads = L * G, .kv_heads = L, .head_dim = D, .theta = cfg_.rope_theta},
                 g.stream);
    kernels::KvCacheView sv = st.view(B, D);
    sv.length = const_cast<int32_t*>(g.dev(g.off_stage_len[static_cast<std::size_t>(l)]));
    write_kv({.k = g.k.data(), .v = g.v.data(), .row_request = g.dev(g.off_row_req),
              .dest_row = g.dev(g.off_stage_dest[static_cast<std::size_t>(l)]), .rows = P, .src_heads = L, .cache = sv},
             g.stream);
    write_kv({.k = g.k.data() + int64_t{P} * KD, .v = g.v.data() + int64_t{P} * KD,
              .row_request = g.dev(g.off_row_req) + P, .dest_row = g.dev(g.off_cache_dest[static_cast<std::size_t>(l)]),
              .rows = decode_rows_, .src_heads = L, .cache = ca.view(B, D)},
             g.stream);
    g.timer.mark(Phase::other);
    if (P > 0)
      kernels::run(kernels::PrefillParams{.q = g.q.data(), .cu_q = g.dev(g.off_cu_q), .q_start = g.dev(g.off_q_start),
                                          .total_q = P, .cache = sv, .group_size = G, .out = g.attn.data()},
                   nullptr, g.stream);
    g.timer.mark(Phase::attention);
    const int nb = g.block_count[static_cast<std::size_t>(l)];
    if (nb > 0)
      copy_blocks({.src_k = st.k.data(), .src_v = st.v.data(), .dst_k = ca.k.data(), .dst_v = ca.v.data(),
                   .blocks = g.blocks.data() + g.block_first[static_cast<std::size_t>(l)], .num_blocks = nb,
                   .max_count = g.block_max[static_cast<std::size_t>(l)], .head_dim = D},
                  g.stream);
    g.timer.mark(Phase::other);
    if (decode_rows_ > 0) {
      const int64_t stride = int64_t{hm} * G * D;
      copy_rows({.src = g.q.data(), .dst = g.dec_q.data(), .src_idx = g.dev(g.off_dec_src), .dst_idx = g.dev(g.off_dec_dst),
                 .n = decode_rows_, .src_stride = QD, .dst_stride = stride, .width = QD},
                g.stream);
      const kernels::DecodeParams dp{.q = g.dec_q.data(), .cache = ca.view(B, D), .plan = g.plan.get(), .layer = l,
                                     .group_size = G, .out = g.dec_out.data()};
      if (const kernels::Support s = kernels::supported(dp); !s) throw std::invalid_argument(s.why);
      kernels::run(dp, g.decode_ws.data(), g.stream);
      copy_rows({.src = g.dec_out.data(), .dst = g.attn.data(), .src_idx = g.dev(g.off_dec_dst),
                 .dst_idx = g.dev(g.off_dec_src), .n = decode_rows_, .src_stride = stride, .dst_stride = QD, .width = QD},
                g.stream);
    }
    g.timer.mark(Phase::attention);
  }
  g.gemm_run(g.attn.data(), w.wo.data(), g.proj.data(), R, m.hidden, QD);
  g.timer.mark(Phase::gemm);
}

void DecoderRuntime::all_reduce_proj() {
  if (gpus() == 1) return;
  std::vector<const void*> send;
  std::vector<void*> recv;
  for (auto& g : gpu_) {
    send.push_back(g->proj.data());
    recv.push_back(g->proj.data());
  }
  comm_->all_reduce(send, recv, static_cast<std::size_t>(rows_) * cfg_.model.hidden);
  for (auto& g : gpu_) {
    KVSIM_CUDA_CHECK(cudaSetDevice(g->id));
    g->timer.mark(Phase::allreduce);
  }
}

void DecoderRuntime::layer_mlp(Gpu& g, int l) {
  const ModelSpec& m = cfg_.model;
  const int R = rows_;
  KVSIM_CUDA_CHECK(cudaSetDevice(g.id));
  const LayerWeights& w = g.layers[static_cast<std::size_t>(l)];
  const int64_t n = int64_t{R} * m.hidden, F = w.ffn_shard;
  kernels::run(kernels::AddParams{.x = g.x.data(), .y = g.proj.data(), .count = n}, g.stream);
  kernels::run(kernels::RmsNormParams{.x = g.x.data(), .weight = w.mlp_norm.data(), .y = g.h.data(), .rows = R,
                                      .hidden = m.hidden, .eps = cfg_.rms_eps},
               g.stream);
  g.timer.mark(Phase::other);
  g.gemm_run(g.h.data(), w.w_gate_up.data(), g.gu.data(), R, 2 * F, m.hidden);
  g.timer.mark(Phase::gemm);
  kernels::run(kernels::SiluMulParams{.gate_up = g.gu.data(), .out = g.act.data(), .rows = R, .width = static_cast<int>(F)},
               g.stream);
  g.timer.mark(Phase::other);
  g.gemm_run(g.act.data(), w.w_down.data(), g.proj.data(), R, m.hidden, F);
  g.timer.mark(Phase::gemm);
  if (&g == gpu_.back().get()) {
    all_reduce_proj();
    for (auto& gg : gpu_) {
      KVSIM_CUDA_CHECK(cudaSetDevice(gg->id));
      kernels::run(kernels::AddParams{.x = gg->x.data(), .y = gg->proj.data(), .count = n}, gg->stream);
      gg->timer.mark(Phase::other);
    }
  }
}

int64_t DecoderRuntime::kv_bytes(int gpu) const { return gpu_.at(static_cast<std::size_t>(gpu))->kv.kv_bytes(); }
int64_t DecoderRuntime::staging_bytes(int gpu) const { return gpu_.at(static_cast<std::size_t>(gpu))->kv.staging_bytes(); }
int64_t DecoderRuntime::weight_bytes(int gpu) const {
  const Gpu& g = *gpu_.at(static_cast<std::size_t>(gpu));
  int64_t b = static_cast<int64_t>(g.embedding.bytes());
  for (const LayerWeights& w : g.layers) b += w.bytes();
  return b;
}
const LayerWeights& DecoderRuntime::weights(int gpu, int layer) const {
  return gpu_.at(static_cast<std::size_t>(gpu))->layers.at(static_cast<std::size_t>(layer));
}

namespace {
std::vector<uint16_t> download_bits(const DeviceBuffer<bf16>& b, std::size_t count, int dev) {
  KVSIM_CUDA_CHECK(cudaSetDevice(dev));
  KVSIM_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<uint16_t> out(count);
  if (count > 0) KVSIM_CUDA_CHECK(cudaMemcpy(out.data(), b.data(), count * sizeof(bf16), cudaMemcpyDeviceToHost));
  return out;
}
}  // namespace

std::vector<uint16_t> DecoderRuntime::embedding(int gpu) const {
  const Gpu& g = *gpu_.at(static_cast<std::size_t>(gpu));
  return download_bits(g.embedding, g.embedding.size(), g.id);
}

std::vector<uint16_t> DecoderRuntime::hidden(int gpu) const {
  const Gpu& g = *gpu_.at(static_cast<std::size_t>(gpu));
  return download_bits(g.x, static_cast<std::size_t>(rows_) * cfg_.model.hidden, g.id);
}

std::string DecoderRuntime::describe() const {
  std::ostringstream s;
  s << "model " << cfg_.model.name << ": " << layers_run_ << " of " << cfg_.model.layers << " layers run (scale "
    << layer_scale() << "), placement " << cfg_.placement.kind << " on " << gpus() << " GPU(s)";
  for (int g = 0; g < gpus(); ++g)
    s << "; gpu " << g << ": weights " << weight_bytes(g) << " B, kv " << kv_bytes(g) << " B, staging "
      << staging_bytes(g) << " B";
  return s.str();
}

}  // namespace kvsim::runtime
