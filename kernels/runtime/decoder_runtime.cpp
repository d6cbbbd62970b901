// See decoder_runtime.h.
#include "kernels/runtime/decoder_runtime.h"
#include "kernels/runtime/decoder_gpu.h"

#include "kernels/attention/decode.h"
#include "kernels/attention/decode_plan.h"
#include "kernels/attention/prefill.h"
#include "kernels/comm/comm.h"
#include "kernels/common/cuda_check.h"
#include "kernels/gemm/gemm.h"
#include "kernels/ops/ops.h"
#include "kernels/runtime/runtime_kernels.h"
#include "kernels/runtime/segment_layout.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace kvsim::runtime {

namespace {

std::vector<int> default_devices(int gpus) {
  std::vector<int> d(static_cast<std::size_t>(gpus));
  for (int g = 0; g < gpus; ++g) d[static_cast<std::size_t>(g)] = g;
  return d;
}

std::unique_ptr<kernels::LocalComm> make_comm(const RuntimeConfig& c) {
  const int n = c.placement.gpus;
  if (c.distributed) return std::make_unique<kernels::LocalComm>(c.distributed->nccl_id, c.distributed->rank, n,
                                                                  c.distributed->device);
  if (!c.devices.empty() && static_cast<int>(c.devices.size()) != n)
    throw std::invalid_argument("DecoderRuntime: " + std::to_string(c.devices.size()) + " devices for " +
                                std::to_string(n) + " placement GPUs");
  return std::make_unique<kernels::LocalComm>(c.devices.empty() ? default_devices(n) : c.devices);
}

}  // namespace

DecoderRuntime::DecoderRuntime(RuntimeConfig config) : cfg_(std::move(config)) {
  const ModelSpec& m = cfg_.model;
  if (const std::string why = placement_problem(cfg_.placement); !why.empty())
    throw std::invalid_argument("DecoderRuntime: bad placement: " + why);
  if (cfg_.placement.layers != m.layers || cfg_.placement.kv_heads != m.kv_heads)
    throw std::invalid_argument("DecoderRuntime: placement shape does not match the model");
  layers_run_ = cfg_.layers_run > 0 ? std::min(cfg_.layers_run, m.layers) : m.layers;
  const int n = cfg_.placement.gpus;
  comm_ = make_comm(cfg_);
  for (int i = 0; i < comm_->size(); ++i) {
    auto gpu = std::make_unique<Gpu>();
    gpu->id = comm_->rank(i);
    gpu->member = i;
    gpu->device = comm_->device(i);
    gpu->stream = comm_->stream(i);
    gpu_.push_back(std::move(gpu));
  }
  pool_ = std::make_unique<WorkerPool>(comm_->size());
  on_gpus("DecoderRuntime: making weights", false, [&](Gpu& g) {
    g.gemm = std::make_unique<kernels::GemmHandle>();
    g.embedding = make_embedding(m, cfg_.seed, g.stream);
    for (int l = 0; l < layers_run_; ++l)
      g.layers.push_back(LayerWeights::make(m, cfg_.placement, l, g.id, n, cfg_.seed, g.stream));
    g.lm = LmHeadWeights::make(m, g.id, n, cfg_.seed, g.stream);
    if (m.vision) g.vision = std::make_unique<VisionTower>(*m.vision, m.hidden, g.id, n, cfg_.seed, g.stream);
    g.plan = std::make_unique<kernels::DecodePlan>(kernels::decode_schedule_config_for_device(m.head_dim));
    KVSIM_CUDA_CHECK(cudaStreamSynchronize(g.stream));
  });
}

DecoderRuntime::~DecoderRuntime() {
  // Free each GPU's buffers with its device current.
  for (auto& g : gpu_) {
    cudaSetDevice(g->device);
    cudaStreamSynchronize(g->stream);
    g.reset();
  }
}

void DecoderRuntime::fail(const std::string& why) {
  if (broken_.empty()) broken_ = why;
  comm_->abort();
}

void DecoderRuntime::on_gpus(const char* what, bool fatal, const std::function<void(Gpu&)>& fn) {
  if (!broken_.empty()) throw std::runtime_error(std::string(what) + ": runtime unusable after an earlier failure: " + broken_);
  try {
    pool_->run([&](int i) {
      Gpu& g = *gpu_[static_cast<std::size_t>(i)];
      try {
        KVSIM_CUDA_CHECK(cudaSetDevice(g.device));
        fn(g);
      } catch (const std::exception& e) {
        cudaGetLastError();  // clear a non-sticky error (e.g. out of memory) so later launch checks do not see it
        throw std::runtime_error(std::string(what) + ": gpu " + std::to_string(g.id) + " (device " +
                                 std::to_string(g.device) + "): " + e.what());
      }
    });
  } catch (const std::exception& e) {
    if (fatal) fail(e.what());
    throw;
  }
}

void DecoderRuntime::admit(std::vector<RuntimeRequest> batch) {
  for (const RuntimeRequest& r : batch) {
    const std::string who = "DecoderRuntime::admit: request " + std::to_string(r.id);
    if (r.budgets.layers != cfg_.model.layers || r.budgets.kv_heads != cfg_.model.kv_heads)
      throw std::invalid_argument(who + " has budgets of the wrong shape");
    if (r.vision_tiles > 0 && !cfg_.model.vision) throw std::invalid_argument(who + " has images but the model no vision tower");
    if (r.prefix_tokens < 0 || r.image_tokens < 0 || r.prefix_tokens + r.image_tokens > r.prompt_tokens)
      throw std::invalid_argument(who + ": prefix and image tokens do not fit in the prompt");
    if (!r.image_stored.empty()) {
      if (r.image_stored.size() != static_cast<std::size_t>(cfg_.model.layers) || r.image_computed.size() != r.image_stored.size())
        throw std::invalid_argument(who + ": A-VL image counts need one entry per layer");
      for (int l = 0; l < cfg_.model.layers; ++l) {
        const int32_t stored = r.image_stored[static_cast<std::size_t>(l)];
        if (stored < 0 || stored > r.image_tokens || r.image_computed[static_cast<std::size_t>(l)] < 0 ||
            r.image_computed[static_cast<std::size_t>(l)] > stored)
          throw std::invalid_argument(who + ": A-VL image counts of layer " + std::to_string(l) + " out of range");
        for (int h = 0; h < cfg_.model.kv_heads; ++h)
          if (r.budgets.at(l, h) < r.prefix_tokens + stored)
            throw std::invalid_argument(who + ": an A-VL budget smaller than its prefix and stored image tokens");
      }
    }
  }
  batch_ = std::move(batch);
  prefilled_.assign(batch_.size(), 0);
  decoded_.assign(batch_.size(), 0);
  const std::string what = "DecoderRuntime::admit (" + std::to_string(batch_.size()) + " requests)";
  on_gpus(what.c_str(), false, [&](Gpu& g) {
    std::vector<std::vector<int>> heads;
    for (const LayerWeights& w : g.layers) heads.push_back(w.heads);
    g.kv.build(cfg_.model, cfg_.placement, batch_, g.id, heads);
    // The most tiles a step can encode: every admitted prompt starting at once.
    int tiles = 0;
    for (const RuntimeRequest& r : batch_) tiles += r.vision_tiles;
    if (g.vision && tiles > 0) g.vision->reserve(tiles, g.stream);
  });
}

DecoderRuntime::StepPlan DecoderRuntime::plan_step(const RuntimeStep& step) {
  const int B = static_cast<int>(batch_.size());
  StepPlan sp;
  for (const StepRequest& s : step.requests) {
    if (s.index < 0 || s.index >= B) throw std::invalid_argument("run_step: request index out of range");
    const RuntimeRequest& r = batch_[static_cast<std::size_t>(s.index)];
    if (s.decode) {
      if (prefilled_[static_cast<std::size_t>(s.index)] != r.prompt_tokens)
        throw std::invalid_argument("run_step: decode of request " + std::to_string(r.id) + " before its prefill ended");
      sp.dec.push_back(s);
    } else {
      if (s.chunk_start != prefilled_[static_cast<std::size_t>(s.index)] || s.chunk_len < 1 ||
          s.chunk_start + s.chunk_len > r.prompt_tokens)
        throw std::invalid_argument("run_step: prefill chunk of request " + std::to_string(r.id) + " out of order");
      sp.pre.push_back(s);
    }
  }
  auto by_index = [](const StepRequest& a, const StepRequest& b) { return a.index < b.index; };
  std::sort(sp.pre.begin(), sp.pre.end(), by_index);
  std::sort(sp.dec.begin(), sp.dec.end(), by_index);
  prefill_rows_ = 0;
  for (const StepRequest& s : sp.pre) prefill_rows_ += s.chunk_len;
  decode_rows_ = static_cast<int>(sp.dec.size());
  rows_ = prefill_rows_ + decode_rows_;
  const int R = rows_;

  const ModelSpec& m = cfg_.model;
  std::mt19937_64 rng(cfg_.seed * 1000003u + static_cast<uint64_t>(step_count_++));
  std::uniform_int_distribution<int32_t> token(0, m.vocab - 1);
  ids_.assign(static_cast<std::size_t>(R), 0);
  positions_.assign(static_cast<std::size_t>(R), 0);
  lm_rows_.clear();
  sp.row_req.assign(static_cast<std::size_t>(R), 0);
  sp.cu_q.assign(static_cast<std::size_t>(B) + 1, 0);
  sp.q_start.assign(static_cast<std::size_t>(B), 0);
  sp.q_row.assign(static_cast<std::size_t>(B), -1);
  int row = 0;
  std::vector<int32_t> chunk(static_cast<std::size_t>(B), 0);
  for (const StepRequest& s : sp.pre) {
    // A prompt starting its prefill has its images encoded now; the image tokens inside this chunk
    // take the tower's output rows (those of a later chunk keep their token embeddings).
    const RuntimeRequest& r = batch_[static_cast<std::size_t>(s.index)];
    if (s.chunk_start == 0 && r.vision_tiles > 0) {
      const int first = sp.vision_tiles * m.vision->patch_tokens;
      const int image_end = std::min(r.prefix_tokens + r.image_tokens, s.chunk_len);
      for (int p = r.prefix_tokens; p < image_end; ++p) {
        sp.image_src.push_back(first + p - r.prefix_tokens);
        sp.image_dst.push_back(row + p);
      }
      sp.vision_tiles += r.vision_tiles;
    }
    chunk[static_cast<std::size_t>(s.index)] = s.chunk_len;
    sp.q_start[static_cast<std::size_t>(s.index)] = s.chunk_start;
    for (int i = 0; i < s.chunk_len; ++i, ++row) {
      sp.row_req[static_cast<std::size_t>(row)] = s.index;
      positions_[static_cast<std::size_t>(row)] = s.chunk_start + i;
    }
    if (s.chunk_start + s.chunk_len == batch_[static_cast<std::size_t>(s.index)].prompt_tokens)
      lm_rows_.push_back(row - 1);  // the prompt's last token emits the first output token
  }
  for (int b = 0; b < B; ++b)
    sp.cu_q[static_cast<std::size_t>(b) + 1] = sp.cu_q[static_cast<std::size_t>(b)] + chunk[static_cast<std::size_t>(b)];
  sp.refresh.assign(static_cast<std::size_t>(B), 0);
  for (const StepRequest& s : sp.dec) {
    const RuntimeRequest& r = batch_[static_cast<std::size_t>(s.index)];
    if (is_avl(r) && refreshes(decoded_[static_cast<std::size_t>(s.index)] + 1, cfg_.avl_refresh_interval))
      sp.refresh[static_cast<std::size_t>(s.index)] = 1, sp.any_refresh = true;
    sp.row_req[static_cast<std::size_t>(row)] = s.index;
    positions_[static_cast<std::size_t>(row)] =
        batch_[static_cast<std::size_t>(s.index)].prompt_tokens + decoded_[static_cast<std::size_t>(s.index)];
    sp.q_row[static_cast<std::size_t>(s.index)] = row;
    lm_rows_.push_back(row);
    ++row;
  }
  for (auto& id : ids_) id = token(rng);
  return sp;
}

// The step's GPU work on one GPU: embedding gather, the layers, the LM head. Runs on its worker.
void DecoderRuntime::launch(Gpu& g) {
  const ModelSpec& m = cfg_.model;
  const int R = rows_;
  g.timer.set_detailed(detailed_step_);
  g.timer.start(g.stream);
  if (R > 0)
    copy_rows({.src = g.embedding.data(), .dst = g.x.data(), .src_idx = g.dev(g.off_ids), .n = R,
               .src_stride = m.hidden, .dst_stride = m.hidden, .width = m.hidden},
              g.stream);
  g.timer.mark(Phase::other);
  if (vision_tiles_ > 0) encode_images(g);
  g.layers_from = g.layers_to = g.timer.marks();
  if (R > 0) {
    for (int l = 0; l < layers_run_; ++l) {
      layer_attention(g, l);
      all_reduce_proj(g);
      layer_mlp(g, l);
    }
    g.layers_to = g.timer.marks();
    lm_head_rows(g);
  }
  g.timer.stop();
}

// The vision tower over the step's tiles (once per step, like the embedding: not scaled with the
// layers run), then its output rows into the image-token rows of x.
void DecoderRuntime::encode_images(Gpu& g) {
  const ModelSpec& m = cfg_.model;
  VisionStepIo io{.stream = g.stream,
                  .gemm = [&g](const bf16* in, const bf16* w, bf16* out, int64_t rows, int64_t n, int64_t k) {
                    g.gemm_run(in, w, out, rows, n, k);
                  },
                  .all_reduce = {},
                  .mark = [&g](Phase p) { g.timer.mark(p); }};
  if (world_gpus() > 1)
    io.all_reduce = [this, &g](bf16* data, std::size_t count) { comm_->all_reduce_member(g.member, data, data, count); };
  g.vision->encode(vision_tiles_, cfg_.seed * 7919u + static_cast<uint64_t>(step_count_), g.vision_out.data(), io);
  if (image_rows_ > 0) {
    copy_rows({.src = g.vision_out.data(), .dst = g.x.data(), .src_idx = g.dev(g.off_image_src),
               .dst_idx = g.dev(g.off_image_dst), .n = image_rows_, .src_stride = m.hidden, .dst_stride = m.hidden,
               .width = m.hidden},
              g.stream);
    g.timer.mark(Phase::other);
  }
}

StepResult DecoderRuntime::run_step(const RuntimeStep& step) {
  const auto wall0 = std::chrono::steady_clock::now();
  if (!broken_.empty()) throw std::runtime_error("run_step: runtime unusable after an earlier failure: " + broken_);
  const StepPlan sp = plan_step(step);
  vision_tiles_ = sp.vision_tiles;
  refresh_step_ = sp.any_refresh;
  image_rows_ = static_cast<int>(sp.image_src.size());
  detailed_step_ = timed_steps_++ % std::max(cfg_.phase_every, 1) == 0;
  on_gpus("run_step", true, [&](Gpu& g) {
    prepare(g, sp);
    launch(g);
  });
  StepResult res;
  res.rows = rows_;
  res.prefill_rows = prefill_rows_;
  res.gpus = wait_and_collect();
  for (const StepRequest& s : sp.pre) prefilled_[static_cast<std::size_t>(s.index)] += s.chunk_len;
  for (const StepRequest& s : sp.dec) ++decoded_[static_cast<std::size_t>(s.index)];
  res.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return res;
}

// Waits for every local GPU's stream by polling all of them (so a failure on one GPU is seen even
// while another waits in an all-reduce for it), then reads the phase times.
std::vector<GpuStepTiming> DecoderRuntime::wait_and_collect() {
  try {
    for (bool busy = true; busy;) {
      busy = false;
      for (auto& g : gpu_) {
        KVSIM_CUDA_CHECK(cudaSetDevice(g->device));
        const cudaError_t st = cudaStreamQuery(g->stream);
        if (st == cudaErrorNotReady) {
          busy = true;
          comm_->check_async(g->member);
        } else {
          KVSIM_CUDA_CHECK(st);
        }
      }
      if (busy) std::this_thread::yield();
    }
    std::vector<GpuStepTiming> out;
    for (auto& g : gpu_) {
      KVSIM_CUDA_CHECK(cudaSetDevice(g->device));
      GpuStepTiming t;
      const auto all = g->timer.collect();
      for (double s : all) t.total_s += s;
      t.phases = g->timer.detailed();
      if (t.phases) {
        t.phase_s = all;
        const auto before = g->timer.collect(0, g->layers_from), after = g->timer.collect(g->layers_to, g->timer.marks());
        for (std::size_t p = 0; p < t.once_s.size(); ++p) t.once_s[p] = before[p] + after[p];
      }
      out.push_back(t);
    }
    return out;
  } catch (const std::exception& e) {
    const std::string why = std::string("run_step: waiting for the GPUs: ") + e.what();
    fail(why);
    throw std::runtime_error(why);
  }
}


namespace {

// Row counts warm_up runs: 1, 4, 16, ... below max_rows, then max_rows.
std::vector<int> warm_up_rows(int max_rows) {
  std::vector<int> rows;
  for (int r = 1; r < max_rows; r *= 4) rows.push_back(r);
  rows.push_back(std::max(max_rows, 1));
  return rows;
}

// The scratch batch of warm_up: per row count R, one step prefilling ceil(R / 512) requests whose
// prompts add up to R (at most 512 tokens each, so attention stays cheap), then (with requests of
// 16 tokens added up to decode_batch) one decode step of every request, then steps decoding the
// first n requests for every n from decode_batch down to 1, then (A-VL) decode steps of request 0
// up to its first refresh step. Small kept budgets. When the admitted batch has A-VL requests, the
// scratch requests of 16 tokens or more are A-VL too; with a vision tower, the first request of
// each prefill step has an image.
struct WarmUpPlan {
  std::vector<RuntimeRequest> batch;
  std::vector<RuntimeStep> steps;
};

WarmUpPlan warm_up_plan(const ModelSpec& m, const std::vector<int>& rows, bool avl, int refresh_interval,
                        int decode_batch) {
  constexpr int kMaxPrompt = 512;
  WarmUpPlan w;
  auto add_request = [&](int prompt, RuntimeStep& prefill) {
    const int index = static_cast<int>(w.batch.size());
    RuntimeRequest r{.id = index, .prompt_tokens = prompt, .output_tokens = 0, .budgets = {}};
    r.budgets.resize(m.layers, m.kv_heads);
    for (std::size_t c = 0; c < r.budgets.kept.size(); ++c) {
      r.budgets.kept[c] = std::min(prompt, 16);
      r.budgets.growth[c] = 1.0f;
    }
    if (prompt >= 16 && (avl || m.vision)) {
      r.prefix_tokens = 2;
      r.image_tokens = 8;
      if (m.vision && prefill.requests.empty()) r.vision_tiles = 1;
      if (avl) {
        r.image_stored.assign(static_cast<std::size_t>(m.layers), 4);
        r.image_computed.assign(static_cast<std::size_t>(m.layers), 2);
      }
    }
    w.batch.push_back(std::move(r));
    prefill.requests.push_back({.index = index, .chunk_start = 0, .chunk_len = prompt});
  };
  for (int total : rows) {
    RuntimeStep prefill;
    for (int left = total; left > 0; left -= kMaxPrompt) add_request(std::min(left, kMaxPrompt), prefill);
    w.steps.push_back(std::move(prefill));
  }
  RuntimeStep more;
  while (static_cast<int>(w.batch.size()) < decode_batch) add_request(16, more);
  if (!more.requests.empty()) w.steps.push_back(std::move(more));
  const int B = static_cast<int>(w.batch.size()), first = std::max(decode_batch, 1);
  auto decode_first = [&](int n) {
    RuntimeStep st;
    for (int i = 0; i < n; ++i) st.requests.push_back({.index = i, .decode = true});
    return st;
  };
  w.steps.push_back(decode_first(B));
  int decodes_of_0 = 1;
  for (int n = std::min(first, B); n >= 1; --n, ++decodes_of_0) w.steps.push_back(decode_first(n));
  for (; avl && decodes_of_0 < refresh_interval; ++decodes_of_0) w.steps.push_back(decode_first(1));
  for (RuntimeRequest& r : w.batch) r.output_tokens = decodes_of_0 + 1;  // request 0 decodes the most
  return w;
}

}  // namespace

void DecoderRuntime::warm_up(int max_rows, int max_decode_batch) {
  const std::vector<int> rows = warm_up_rows(max_rows);
  // Set the admitted state aside (host and KV), run the scratch batch, put everything back.
  std::vector<RuntimeRequest> batch = std::move(batch_);
  std::vector<int> prefilled = prefilled_, decoded = decoded_;
  const int64_t steps = step_count_;
  std::vector<GpuKvState> kv(gpu_.size());
  for (std::size_t i = 0; i < gpu_.size(); ++i) std::swap(kv[i], gpu_[i]->kv);
  auto restore = [&] {
    on_gpus("DecoderRuntime::warm_up: restoring KV state", false,
            [&](Gpu& g) { std::swap(g.kv, kv[static_cast<std::size_t>(g.member)]); kv[static_cast<std::size_t>(g.member)] = {}; });
    batch_ = std::move(batch);
    prefilled_ = std::move(prefilled);
    decoded_ = std::move(decoded);
    step_count_ = steps;
  };
  try {
    const bool avl = !kv.empty() && kv.front().avl;  // the admitted batch's (swapped out above)
    WarmUpPlan plan = warm_up_plan(cfg_.model, rows, avl, cfg_.avl_refresh_interval, max_decode_batch);
    admit(std::move(plan.batch));
    for (const RuntimeStep& st : plan.steps) run_step(st);
  } catch (...) {
    if (broken_.empty()) restore();
    throw;
  }
  restore();
}

int64_t DecoderRuntime::kv_bytes(int gpu) const { return gpu_.at(static_cast<std::size_t>(gpu))->kv.kv_bytes(); }
int64_t DecoderRuntime::staging_bytes(int gpu) const { return gpu_.at(static_cast<std::size_t>(gpu))->kv.staging_bytes(); }
int DecoderRuntime::gpu_rank(int gpu) const { return gpu_.at(static_cast<std::size_t>(gpu))->id; }
int DecoderRuntime::device(int gpu) const { return gpu_.at(static_cast<std::size_t>(gpu))->device; }
int64_t DecoderRuntime::weight_bytes(int gpu) const {
  const Gpu& g = *gpu_.at(static_cast<std::size_t>(gpu));
  int64_t b = static_cast<int64_t>(g.embedding.bytes()) + g.lm.bytes();
  for (const LayerWeights& w : g.layers) b += w.bytes();
  return b;
}
const LayerWeights& DecoderRuntime::weights(int gpu, int layer) const {
  return gpu_.at(static_cast<std::size_t>(gpu))->layers.at(static_cast<std::size_t>(layer));
}
const LmHeadWeights& DecoderRuntime::lm_head(int gpu) const { return gpu_.at(static_cast<std::size_t>(gpu))->lm; }

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
  return download_bits(g.embedding, g.embedding.size(), g.device);
}

std::vector<uint16_t> DecoderRuntime::hidden(int gpu) const {
  const Gpu& g = *gpu_.at(static_cast<std::size_t>(gpu));
  return download_bits(g.x, static_cast<std::size_t>(rows_) * cfg_.model.hidden, g.device);
}

std::vector<uint16_t> DecoderRuntime::logits(int gpu) const {
  const Gpu& g = *gpu_.at(static_cast<std::size_t>(gpu));
  return download_bits(g.logits, lm_rows_.size() * static_cast<std::size_t>(g.lm.vocab_rows), g.device);
}

std::vector<int32_t> DecoderRuntime::avl_core(int gpu, int layer, int request) const {
  const Gpu& g = *gpu_.at(static_cast<std::size_t>(gpu));
  const RuntimeRequest& r = batch_.at(static_cast<std::size_t>(request));
  if (r.image_computed.empty() || layer < 0 || layer >= layers_run_) return {};
  const int n = r.image_computed[static_cast<std::size_t>(layer)];
  std::vector<int32_t> out(static_cast<std::size_t>(n));
  KVSIM_CUDA_CHECK(cudaSetDevice(g.device));
  KVSIM_CUDA_CHECK(cudaDeviceSynchronize());
  const std::size_t at = (static_cast<std::size_t>(layer) * batch_.size() + static_cast<std::size_t>(request)) * g.kv.core_stride;
  if (n > 0)
    KVSIM_CUDA_CHECK(cudaMemcpy(out.data(), g.kv.avl_core.data() + at, out.size() * sizeof(int32_t), cudaMemcpyDeviceToHost));
  return out;
}

std::string DecoderRuntime::describe() const {
  std::ostringstream s;
  s << "model " << cfg_.model.name << ": " << layers_run_ << " of " << cfg_.model.layers << " layers run (scale "
    << layer_scale() << "), placement " << cfg_.placement.kind << " on " << world_gpus() << " GPU(s)";
  if (cfg_.distributed) s << ", this process drives GPU " << cfg_.distributed->rank;
  for (int g = 0; g < gpus(); ++g)
    s << "; gpu " << gpu_rank(g) << " (device " << device(g) << "): weights " << weight_bytes(g) << " B, kv " << kv_bytes(g) << " B, staging "
      << staging_bytes(g) << " B";
  return s.str();
}

}  // namespace kvsim::runtime
