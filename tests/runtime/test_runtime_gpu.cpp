// GPU test of the decoder runtime (kernels/runtime/decoder_runtime.h) on a tiny custom model
// (2 layers, hidden 256, ffn 512, 4 q heads, 2 kv heads, head_dim 128, vocab 1000), 3 requests with
// per-head budgets, chunked prefill, mixed prefill+decode steps, then decodes:
//   1 GPU, first layer only (layer_scale 2): every output row of every step (prefill and decode) vs a
//     CPU reference of the whole layer (double, rounding to bf16 where the GPU stores bf16), built
//     from the runtime's own weights, token ids and positions; KV bytes == predicted_kv_bytes.
//     LM head: its rows are the prompt-ending prefill rows and the decode rows, and its logits equal
//     final RMSNorm + the GPU's own LM-head weights applied to the GPU's own output rows.
//   warm_up: a runtime warmed up after admit gives the same token ids, KV bytes and hidden states as
//     one that was not; an out-of-memory at admit throws a message naming admit and the CUDA error.
//   2 GPUs when present: the full model under tensor_parallel and under fair-copying (a head copied
//     on both GPUs, each copy serving its share of requests) gives the 1-GPU model's outputs and
//     logits (vocabulary shards side by side); KV bytes per GPU == predicted, and the copies' KV sums
//     to the 1-GPU total; one runtime is warmed up before admit, the other after; an out-of-memory at
//     admit on a worker thread comes back as an exception.
//   ctest -R runtime   or   build/tests/runtime/test_runtime_gpu
#include "tests/support/catch.h"

#include "kernels/common/cuda_check.h"
#include "kernels/reference/bf16.h"
#include "kernels/runtime/decoder_runtime.h"
#include "tests/runtime/tiny_case.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

namespace kvsim::runtime::test {
namespace {

using kernels::ref::bf16_to_float;
using kernels::ref::float_to_bf16;

std::vector<float> to_float(const std::vector<uint16_t>& bits) {
  std::vector<float> f(bits.size());
  for (std::size_t i = 0; i < bits.size(); ++i) f[i] = bf16_to_float(bits[i]);
  return f;
}
std::vector<float> host(const kernels::DeviceBuffer<bf16>& b) {
  const auto d = b.download();
  std::vector<uint16_t> bits(d.size());
  std::memcpy(bits.data(), d.data(), d.size() * sizeof(uint16_t));
  return to_float(bits);
}
float rnd(double x) { return bf16_to_float(float_to_bf16(static_cast<float>(x))); }

// y[n] = w[n][k] x[k], rounded to bf16.
std::vector<float> matvec(const std::vector<float>& w, const std::vector<float>& x, std::size_t n) {
  const std::size_t k = x.size();
  std::vector<float> y(n);
  for (std::size_t i = 0; i < n; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < k; ++j) s += double{w[i * k + j]} * x[j];
    y[i] = rnd(s);
  }
  return y;
}
std::vector<float> rmsnorm(const std::vector<float>& x, const std::vector<float>& w, double eps) {
  double ss = 0;
  for (float v : x) ss += double{v} * v;
  const double inv = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + eps);
  std::vector<float> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = rnd(x[i] * inv * w[i]);
  return y;
}
void rope(std::vector<float>& x, int heads, int d, int pos, double theta) {
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < d / 2; ++i) {
      const double ang = pos * std::pow(theta, -2.0 * i / d);
      float& a = x[static_cast<std::size_t>(h * d + i)];
      float& b = x[static_cast<std::size_t>(h * d + i + d / 2)];
      const double na = a * std::cos(ang) - b * std::sin(ang), nb = b * std::cos(ang) + a * std::sin(ang);
      a = rnd(na);
      b = rnd(nb);
    }
}

// The whole first layer on the CPU, for every row of every step of a 1-GPU runtime.
struct LayerRef {
  ModelSpec m;
  std::vector<float> emb, wq, wk, wv, wo, gu, down, n1, n2;
  struct Kv { std::vector<float> k, v; };               // [kv_heads * D] each
  std::map<int, std::vector<Kv>> prompt, decoded;      // per request
  std::vector<RuntimeRequest> reqs;

  std::vector<float> input(int id) const {
    return {emb.begin() + static_cast<long>(id) * m.hidden, emb.begin() + static_cast<long>(id + 1) * m.hidden};
  }
  Kv kv(int id, int pos) const {
    const auto h = rmsnorm(input(id), n1, 1e-5);
    Kv r{matvec(wk, h, static_cast<std::size_t>(m.kv_heads) * m.head_dim),
         matvec(wv, h, static_cast<std::size_t>(m.kv_heads) * m.head_dim)};
    rope(r.k, m.kv_heads, m.head_dim, pos, 500000.0);
    return r;
  }
  std::vector<float> query(int id, int pos) const {
    auto q = matvec(wq, rmsnorm(input(id), n1, 1e-5), static_cast<std::size_t>(m.q_heads) * m.head_dim);
    rope(q, m.q_heads, m.head_dim, pos, 500000.0);
    return q;
  }
  // A-VL refresh: for each of `image` (cache entries, the same rows in every kv head's `rows`), its
  // softmax probability in the dense attention over `rows`, averaged over all q heads.
  std::vector<double> image_scores(int id, int pos, const std::vector<std::vector<const Kv*>>& rows,
                                   const std::vector<const Kv*>& image) const {
    const int D = m.head_dim, G = m.group_size();
    const auto q = query(id, pos);
    std::vector<double> score(image.size(), 0.0);
    for (int qh = 0; qh < m.q_heads; ++qh) {
      const int kvh = qh / G;
      auto dot = [&](const Kv* r) {
        double d = 0;
        for (int e = 0; e < D; ++e) d += double{q[static_cast<std::size_t>(qh * D + e)]} * r->k[static_cast<std::size_t>(kvh * D + e)];
        return d / std::sqrt(double(D));
      };
      double mx = -1e300, l = 0;
      for (const Kv* r : rows[static_cast<std::size_t>(kvh)]) mx = std::max(mx, dot(r));
      for (const Kv* r : rows[static_cast<std::size_t>(kvh)]) l += std::exp(dot(r) - mx);
      for (std::size_t t = 0; t < image.size(); ++t) score[t] += std::exp(dot(image[t]) - mx) / l / m.q_heads;
    }
    return score;
  }
  // rows: per kv head, the cache entries attended.
  std::vector<float> forward(int id, int pos, const std::vector<std::vector<const Kv*>>& rows) const {
    const int D = m.head_dim, G = m.group_size();
    const auto x = input(id);
    const auto q = query(id, pos);
    std::vector<float> attn(q.size());
    for (int qh = 0; qh < m.q_heads; ++qh) {
      const int kvh = qh / G;
      const auto& rs = rows[static_cast<std::size_t>(kvh)];
      std::vector<double> s(rs.size()), o(static_cast<std::size_t>(D), 0.0);
      double mx = -1e300, l = 0;
      for (std::size_t t = 0; t < rs.size(); ++t) {
        double dot = 0;
        for (int d = 0; d < D; ++d) dot += double{q[static_cast<std::size_t>(qh * D + d)]} * rs[t]->k[static_cast<std::size_t>(kvh * D + d)];
        s[t] = dot / std::sqrt(double(D));
        mx = std::max(mx, s[t]);
      }
      for (std::size_t t = 0; t < rs.size(); ++t) {
        const double p = std::exp(s[t] - mx);
        l += p;
        for (int d = 0; d < D; ++d) o[static_cast<std::size_t>(d)] += p * rs[t]->v[static_cast<std::size_t>(kvh * D + d)];
      }
      for (int d = 0; d < D; ++d) attn[static_cast<std::size_t>(qh * D + d)] = rnd(o[static_cast<std::size_t>(d)] / l);
    }
    const auto proj = matvec(wo, attn, static_cast<std::size_t>(m.hidden));
    std::vector<float> x1(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) x1[i] = rnd(double{x[i]} + proj[i]);
    const auto h2 = rmsnorm(x1, n2, 1e-5);
    const auto g = matvec(gu, h2, static_cast<std::size_t>(2 * m.ffn));
    std::vector<float> act(static_cast<std::size_t>(m.ffn));
    for (int i = 0; i < m.ffn; ++i) {
      const double a = g[static_cast<std::size_t>(i)];
      act[static_cast<std::size_t>(i)] = rnd(a / (1.0 + std::exp(-a)) * g[static_cast<std::size_t>(m.ffn + i)]);
    }
    const auto y = matvec(down, act, static_cast<std::size_t>(m.hidden));
    std::vector<float> x2(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) x2[i] = rnd(double{x1[i]} + y[i]);
    return x2;
  }
};

double rel(const std::vector<float>& got, const std::vector<float>& ref) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(got[i])) return INFINITY;
    num += (double{got[i]} - ref[i]) * (double{got[i]} - ref[i]);
    den += double{ref[i]} * ref[i];
  }
  return std::sqrt(num / den);
}

void print_timing(const char* what, const StepResult& s) {
  for (std::size_t g = 0; g < s.gpus.size(); ++g)
    std::printf("%s: rows %d (prefill %d) gpu %zu: gemm %.1f us, attention %.1f us, allreduce %.1f us, other %.1f us, "
                "total %.1f us\n",
                what, s.rows, s.prefill_rows, g, s.gpus[g].phase_s[0] * 1e6, s.gpus[g].phase_s[1] * 1e6,
                s.gpus[g].phase_s[2] * 1e6, s.gpus[g].phase_s[3] * 1e6, s.gpus[g].total_s * 1e6);
}

// The LM head's rows of a step: each prefill chunk that ends its prompt (its last row), then each
// decode, in the runtime's row order.
std::vector<int32_t> expected_lm_rows(const RuntimeStep& st, const std::vector<RuntimeRequest>& reqs) {
  std::vector<StepRequest> sorted = st.requests;
  std::stable_sort(sorted.begin(), sorted.end(), [](const StepRequest& a, const StepRequest& b) {
    return a.decode != b.decode ? !a.decode : a.index < b.index;
  });
  std::vector<int32_t> rows;
  int row = 0;
  for (const StepRequest& s : sorted) {
    row += s.decode ? 1 : s.chunk_len;
    if (s.decode || s.chunk_start + s.chunk_len == reqs[static_cast<std::size_t>(s.index)].prompt_tokens)
      rows.push_back(row - 1);
  }
  return rows;
}

// Per step: GPU 0's hidden output, and the logits of every LM-head row with the GPUs' vocabulary
// shards side by side ([lm rows][vocab]).
struct Outputs {
  std::vector<std::vector<float>> hidden, logits;
  std::vector<std::vector<int32_t>> ids;
};

// The LM head on the CPU for the runtime's own output rows, with GPU 0's LM-head weights (1 GPU).
double lm_head_error(DecoderRuntime& rt, const std::vector<float>& hidden, const std::vector<float>& logits, int hd) {
  const LmHeadWeights& lm = rt.lm_head(0);
  const auto w = host(lm.w), norm = host(lm.norm);
  const auto& rows = rt.last_lm_rows();
  double worst = 0;
  for (std::size_t e = 0; e < rows.size(); ++e) {
    const std::vector<float> x(hidden.begin() + static_cast<long>(rows[e]) * hd, hidden.begin() + static_cast<long>(rows[e] + 1) * hd);
    const auto want = matvec(w, rmsnorm(x, norm, 1e-5), static_cast<std::size_t>(lm.vocab_rows));
    const std::vector<float> got(logits.begin() + static_cast<long>(e) * lm.vocab_rows,
                                 logits.begin() + static_cast<long>(e + 1) * lm.vocab_rows);
    worst = std::max(worst, rel(got, want));
  }
  return worst;
}

// The CPU reference of layer 0 from GPU 0's weights and embedding (1 GPU, first layer run).
LayerRef first_layer_ref(DecoderRuntime& rt, const std::vector<RuntimeRequest>& reqs) {
  const ModelSpec& m = rt.model();
  KVSIM_CUDA_CHECK(cudaSetDevice(0));
  const LayerWeights& w = rt.weights(0, 0);
  // The fused projection's rows: Wq, then Wk, then Wv.
  const std::vector<float> qkv = host(w.w_qkv);
  const auto rows_of = [&](int64_t first, int64_t count) {
    return std::vector<float>(qkv.begin() + first * m.hidden, qkv.begin() + (first + count) * m.hidden);
  };
  const int64_t QD = w.q_width(m), KD = w.kv_width(m);
  return LayerRef{.m = m, .emb = to_float(rt.embedding(0)), .wq = rows_of(0, QD), .wk = rows_of(QD, KD),
                  .wv = rows_of(QD + KD, KD), .wo = host(w.wo), .gu = host(w.w_gate_up), .down = host(w.w_down),
                  .n1 = host(w.attn_norm), .n2 = host(w.mlp_norm), .prompt = {}, .decoded = {}, .reqs = reqs};
}

// Runs the steps; returns every step's outputs. With `ref` (1 GPU, first layer): checks every row.
Outputs run_all(DecoderRuntime& rt, const char* what, LayerRef* ref, const std::vector<RuntimeRequest>& reqs,
                const std::vector<RuntimeStep>& all_steps = steps(), int refresh_interval = 0) {
  Outputs outs;
  auto& hiddens = outs.hidden;
  int n = 0;
  for (const RuntimeStep& st : all_steps) {
    // A-VL: each request's core before the step (what its sparse attention reads this step).
    std::map<int, std::vector<int32_t>> core_before;
    if (ref != nullptr)
      for (std::size_t r = 0; r < reqs.size(); ++r)
        if (!reqs[r].image_stored.empty()) core_before[static_cast<int>(r)] = rt.avl_core(0, 0, static_cast<int>(r));
    const StepResult res = rt.run_step(st);
    print_timing(what, res);
    REQUIRE(static_cast<int>(res.gpus.size()) == rt.gpus());
    for (const auto& g : res.gpus) {
      CHECK(g.total_s > 0);
      for (std::size_t p = 0; p < g.phase_s.size(); ++p) CHECK(g.once_s[p] <= g.phase_s[p]);
      CHECK(g.once_s[0] > 0);  // the LM head's GEMM (every step here has a row that emits a token)
      CHECK(g.once_s[0] < g.phase_s[0]);
    }
    CHECK(rt.last_lm_rows() == expected_lm_rows(st, reqs));
    const std::size_t lm_rows = rt.last_lm_rows().size();
    std::vector<float> logits(lm_rows * static_cast<std::size_t>(rt.model().vocab), 0.0f);
    for (int g = 0; g < rt.gpus(); ++g) {
      const auto h = to_float(rt.hidden(g));
      for (float v : h) REQUIRE(std::isfinite(v));
      if (g == 0) hiddens.push_back(h);
      const LmHeadWeights& lm = rt.lm_head(g);
      const auto lg = to_float(rt.logits(g));
      REQUIRE(lg.size() == lm_rows * static_cast<std::size_t>(lm.vocab_rows));
      for (std::size_t e = 0; e < lm_rows; ++e)
        for (int64_t c = 0; c < lm.vocab_rows; ++c)
          logits[e * static_cast<std::size_t>(rt.model().vocab) + static_cast<std::size_t>(lm.vocab_offset + c)] =
              lg[e * static_cast<std::size_t>(lm.vocab_rows) + static_cast<std::size_t>(c)];
    }
    for (float v : logits) REQUIRE(std::isfinite(v));
    outs.logits.push_back(logits);
    outs.ids.push_back(rt.last_ids());
    if (rt.world_gpus() == 1) {
      const double e = lm_head_error(rt, hiddens.back(), logits, rt.model().hidden);
      std::printf("%s step %d: LM head (%zu rows) worst row rel err vs CPU %.2e\n", what, n, lm_rows, e);
      CHECK(e <= 2e-2);
    }
    if (ref != nullptr) {
      // Order of rows: prefill chunks by request index, then decodes by request index (decoder_runtime.h).
      const auto& ids = rt.last_ids();
      const auto& pos = rt.last_positions();
      std::vector<int> row_req;
      std::vector<bool> row_dec;
      std::vector<StepRequest> sorted = st.requests;
      std::stable_sort(sorted.begin(), sorted.end(), [](const StepRequest& a, const StepRequest& b) {
        return a.decode != b.decode ? !a.decode : a.index < b.index;
      });
      for (const StepRequest& s : sorted)
        for (int i = 0; i < (s.decode ? 1 : s.chunk_len); ++i) {
          row_req.push_back(s.index);
          row_dec.push_back(s.decode);
        }
      REQUIRE(row_req.size() == ids.size());
      // Append this step's K/V first (the runtime writes before attending).
      for (std::size_t t = 0; t < ids.size(); ++t)
        (row_dec[t] ? ref->decoded : ref->prompt)[row_req[t]].push_back(ref->kv(ids[t], pos[t]));
      double worst = 0;
      const int Hd = ref->m.hidden;
      for (std::size_t t = 0; t < ids.size(); ++t) {
        const int r = row_req[t];
        const RuntimeRequest& q = ref->reqs[static_cast<std::size_t>(r)];
        const int step = static_cast<int>(ref->decoded[r].size());  // this decode step, 1-based
        const bool avl = !q.image_stored.empty(), refresh = avl && refresh_interval > 0 && step % refresh_interval == 0;
        std::vector<std::vector<const LayerRef::Kv*>> rows(static_cast<std::size_t>(ref->m.kv_heads));
        std::vector<const LayerRef::Kv*> stored_image;  // A-VL: the image rows the segment stores
        const auto& pr = ref->prompt[r];
        for (int h = 0; h < ref->m.kv_heads; ++h) {
          auto& hr = rows[static_cast<std::size_t>(h)];
          const int kept = q.budgets.at(0, h);
          if (!row_dec[t]) {
            for (int j = 0; j <= pos[t]; ++j) hr.push_back(&pr[static_cast<std::size_t>(j)]);
          } else if (!avl) {
            for (std::size_t j = pr.size() - static_cast<std::size_t>(kept); j < pr.size(); ++j) hr.push_back(&pr[j]);
          } else {
            // prefix | stored image (the last image_stored image tokens; only the core unless refreshing) | text
            const int stored = q.image_stored[0], first = q.prefix_tokens + q.image_tokens - stored;
            const int text = kept - q.prefix_tokens - stored;
            for (int j = 0; j < q.prefix_tokens; ++j) hr.push_back(&pr[static_cast<std::size_t>(j)]);
            if (refresh) {
              for (int c = 0; c < stored; ++c) hr.push_back(&pr[static_cast<std::size_t>(first + c)]);
            } else {
              const auto& core = core_before.at(r);
              REQUIRE(static_cast<int>(core.size()) == q.image_computed[0]);
              for (int32_t c : core) hr.push_back(&pr[static_cast<std::size_t>(first + c)]);
            }
            for (int j = q.prompt_tokens - text; j < q.prompt_tokens; ++j) hr.push_back(&pr[static_cast<std::size_t>(j)]);
            if (h == 0)
              for (int c = 0; c < stored; ++c) stored_image.push_back(&pr[static_cast<std::size_t>(first + c)]);
          }
          if (row_dec[t])
            for (const auto& d : ref->decoded[r]) hr.push_back(&d);
        }
        if (row_dec[t] && refresh) {
          // The core the GPU re-picked is the top image_computed of the CPU's scores (up to near-ties).
          const std::vector<double> score = ref->image_scores(ids[t], pos[t], rows, stored_image);
          const std::vector<int32_t> core = rt.avl_core(0, 0, r);
          REQUIRE(static_cast<int>(core.size()) == q.image_computed[0]);
          CHECK(std::is_sorted(core.begin(), core.end()));
          std::vector<bool> chosen(score.size(), false);
          for (int32_t c : core) {
            REQUIRE((c >= 0 && c < static_cast<int32_t>(score.size())));
            CHECK_FALSE(chosen[static_cast<std::size_t>(c)]);
            chosen[static_cast<std::size_t>(c)] = true;
          }
          double lowest_chosen = 1e300, highest_other = 0, top = 0;
          for (std::size_t c = 0; c < score.size(); ++c) {
            top = std::max(top, score[c]);
            if (chosen[c]) lowest_chosen = std::min(lowest_chosen, score[c]);
            else highest_other = std::max(highest_other, score[c]);
          }
          std::printf("%s step %d: request %d refreshed its core: lowest chosen score %.4g, highest other %.4g\n", what, n,
                      r, lowest_chosen, highest_other);
          CHECK(lowest_chosen >= highest_other - 1e-2 * top);
        }
        const auto want = ref->forward(ids[t], pos[t], rows);
        const std::vector<float> got(hiddens.back().begin() + static_cast<long>(t) * Hd,
                                     hiddens.back().begin() + static_cast<long>(t + 1) * Hd);
        worst = std::max(worst, rel(got, want));
      }
      std::printf("%s step %d: worst row rel err vs CPU layer reference %.2e\n", what, n, worst);
      CHECK(worst <= 2e-2);
    }
    ++n;
  }
  return outs;
}

TEST_CASE("decoder runtime: one layer on one GPU matches the CPU reference", "[runtime][gpu]") {
  const ModelSpec m = tiny_model();
  RuntimeConfig cfg{.model = m, .placement = one_gpu(m), .layers_run = 1, .seed = 7};
  DecoderRuntime rt(cfg);
  CHECK(rt.layer_scale() == 2.0);
  const auto reqs = requests(m);
  rt.admit(reqs);
  std::printf("%s\n", rt.describe().c_str());
  CHECK(rt.kv_bytes(0) == predicted_kv_bytes(m, cfg.placement, reqs, 0, 1));
  CHECK(rt.kv_bytes(0) > 0);

  LayerRef ref = first_layer_ref(rt, reqs);
  run_all(rt, "1gpu-1layer", &ref, reqs);
}

// The tiny case's requests with A-VL layouts on requests 0 and 1 (prompts 40 and 70: prefix 4,
// 16 image tokens of which 10 stored and 4 computed, text per head); request 2 (9 tokens) stays a
// plain text request in the same batch. Six output tokens, so the extra steps reach decode step 4.
std::vector<RuntimeRequest> avl_requests(const ModelSpec& m) {
  std::vector<RuntimeRequest> rs = requests(m);
  for (int i = 0; i < 2; ++i) {
    RuntimeRequest& r = rs[static_cast<std::size_t>(i)];
    r.output_tokens = 6;
    r.prefix_tokens = 4;
    r.image_tokens = 16;
    r.image_stored.assign(static_cast<std::size_t>(m.layers), 10);
    r.image_computed.assign(static_cast<std::size_t>(m.layers), 4);
    for (int l = 0; l < m.layers; ++l)
      for (int h = 0; h < m.kv_heads; ++h) r.budgets.kept[static_cast<std::size_t>(l * m.kv_heads + h)] = 14 + 3 + 2 * h + l + 5 * i;
  }
  return rs;
}

TEST_CASE("decoder runtime: A-VL sparse decode and refresh match the CPU reference", "[runtime][gpu][avl]") {
  const ModelSpec m = tiny_model();
  RuntimeConfig cfg{.model = m, .placement = one_gpu(m), .layers_run = 1, .seed = 11};
  cfg.avl_refresh_interval = 2;  // decode steps 2 and 4 attend every stored token and re-pick the core
  DecoderRuntime rt(cfg);
  const auto reqs = avl_requests(m);
  rt.admit(reqs);
  CHECK(rt.kv_bytes(0) == predicted_kv_bytes(m, cfg.placement, reqs, 0, 1));
  LayerRef ref = first_layer_ref(rt, reqs);
  // Before any refresh the core is the first image_computed stored image tokens.
  CHECK(rt.avl_core(0, 0, 0) == std::vector<int32_t>{0, 1, 2, 3});
  std::vector<RuntimeStep> all = steps();
  all.push_back(RuntimeStep{{{.index = 0, .decode = true}, {.index = 1, .decode = true}}});  // decode step 3: sparse, new core
  all.push_back(RuntimeStep{{{.index = 0, .decode = true}, {.index = 1, .decode = true}}});  // decode step 4: refresh again
  run_all(rt, "1gpu-avl", &ref, reqs, all, cfg.avl_refresh_interval);
}

// The message of the exception `fn` throws ("" if none).
template <class F>
std::string thrown(F fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// A request whose staging KV (1e9 prompt tokens per head) cannot fit in any GPU's memory.
std::vector<RuntimeRequest> too_big(const ModelSpec& m) {
  RuntimeRequest r{.id = 0, .prompt_tokens = 1000000000, .output_tokens = 1, .budgets = {}};
  r.budgets.resize(m.layers, m.kv_heads);
  for (std::size_t c = 0; c < r.budgets.kept.size(); ++c) r.budgets.kept[c] = 1;
  return {r};
}

void check_oom_message(const std::string& msg) {
  std::printf("out-of-memory at admit: %s\n", msg.c_str());
  CHECK(msg.find("admit") != std::string::npos);
  CHECK(msg.find("cudaErrorMemoryAllocation") != std::string::npos);
  CHECK(msg.find(".h:") != std::string::npos);  // file:line of the failed call
}

TEST_CASE("decoder runtime: warm_up leaves the batch, KV and outputs as they were; OOM at admit throws",
          "[runtime][gpu]") {
  const ModelSpec m = tiny_model();
  const auto one = one_gpu(m);
  const auto reqs = requests(m);
  Outputs cold, warm;
  int64_t kv_cold = 0;
  {
    DecoderRuntime rt(RuntimeConfig{.model = m, .placement = one, .seed = 7});
    rt.admit(reqs);
    kv_cold = rt.kv_bytes(0);
    cold = run_all(rt, "1gpu-cold", nullptr, reqs);
  }
  {
    DecoderRuntime rt(RuntimeConfig{.model = m, .placement = one, .seed = 7});
    rt.admit(reqs);
    rt.warm_up(100, 5);  // also decode batches of 5, 4, ..., 1 scratch requests
    CHECK(rt.kv_bytes(0) == kv_cold);
    warm = run_all(rt, "1gpu-warm", nullptr, reqs);
  }
  REQUIRE(warm.hidden.size() == cold.hidden.size());
  for (std::size_t s = 0; s < cold.hidden.size(); ++s) {
    CHECK(warm.ids[s] == cold.ids[s]);
    const double e = rel(warm.hidden[s], cold.hidden[s]), el = rel(warm.logits[s], cold.logits[s]);
    std::printf("warm_up step %zu: hidden rel diff %.2e, logits rel diff %.2e\n", s, e, el);
    CHECK(e <= 1e-3);
    CHECK(el <= 1e-3);
  }
  DecoderRuntime rt(RuntimeConfig{.model = m, .placement = one, .seed = 7});
  check_oom_message(thrown([&] { rt.admit(too_big(m)); }));
}

TEST_CASE("decoder runtime: TP and fair-copying on 2 GPUs give the 1-GPU model's outputs", "[runtime][gpu]") {
  int devices = 0;
  KVSIM_CUDA_CHECK(cudaGetDeviceCount(&devices));
  if (devices < 2) {
    std::printf("SKIPPED part: 2-GPU runtime checks need 2 devices, %d present\n", devices);
    return;
  }
  const ModelSpec m = tiny_model();
  const auto reqs = requests(m);
  const auto one = one_gpu(m), tp = tensor_parallel2(m), fc = fair_copying2(m);
  Outputs base;
  int64_t base_kv = 0;
  {
    DecoderRuntime rt(RuntimeConfig{.model = m, .placement = one, .seed = 7});
    rt.admit(reqs);
    base_kv = rt.kv_bytes(0);
    base = run_all(rt, "1gpu", nullptr, reqs);
  }
  for (const Placement* p : {&tp, &fc}) {
    DecoderRuntime rt(RuntimeConfig{.model = m, .placement = *p, .seed = 7});
    if (p == &fc) rt.warm_up(64);  // before admit here, after admit for tp
    rt.admit(reqs);
    if (p == &tp) rt.warm_up(64);
    std::printf("%s\n", rt.describe().c_str());
    int64_t total = 0;
    for (int g = 0; g < 2; ++g) {
      CHECK(rt.kv_bytes(g) == predicted_kv_bytes(m, *p, reqs, g, m.layers));
      total += rt.kv_bytes(g);
    }
    CHECK(total == base_kv);
    const auto outs = run_all(rt, p->kind.c_str(), nullptr, reqs);
    for (std::size_t s = 0; s < outs.hidden.size(); ++s) {
      const double e = rel(outs.hidden[s], base.hidden[s]), el = rel(outs.logits[s], base.logits[s]);
      std::printf("%s step %zu: rel err vs 1 GPU: hidden %.2e, logits %.2e\n", p->kind.c_str(), s, e, el);
      CHECK(outs.ids[s] == base.ids[s]);
      CHECK(e <= 2e-2);
      CHECK(el <= 2e-2);
    }
  }
  DecoderRuntime rt(RuntimeConfig{.model = m, .placement = tp, .seed = 7});
  check_oom_message(thrown([&] { rt.admit(too_big(m)); }));
}

}  // namespace
}  // namespace kvsim::runtime::test
