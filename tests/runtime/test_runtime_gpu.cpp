// GPU test of the decoder runtime (kernels/runtime/decoder_runtime.h) on a tiny custom model
// (2 layers, hidden 256, ffn 512, 4 q heads, 2 kv heads, head_dim 128, vocab 1000), 3 requests with
// per-head budgets, chunked prefill, mixed prefill+decode steps, then decodes:
//   1 GPU, first layer only (layer_scale 2): every output row of every step (prefill and decode) vs a
//     CPU reference of the whole layer (double, rounding to bf16 where the GPU stores bf16), built
//     from the runtime's own weights, token ids and positions; KV bytes == predicted_kv_bytes.
//   2 GPUs when present: the full model under tensor_parallel and under fair-copying (a head copied
//     on both GPUs, each copy serving its share of requests) gives the 1-GPU model's outputs; KV bytes
//     per GPU == predicted, and the copies' KV sums to the 1-GPU total.
//   ctest -R runtime   or   build/tests/runtime/test_runtime_gpu
#include "tests/support/catch.h"

#include "kernels/common/cuda_check.h"
#include "kernels/reference/bf16.h"
#include "kernels/runtime/decoder_runtime.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

namespace kvsim::runtime::test {
namespace {

using kernels::ref::bf16_to_float;
using kernels::ref::float_to_bf16;

ModelSpec tiny_model() {
  return {.name = "tiny", .layers = 2, .hidden = 256, .ffn = 512, .q_heads = 4, .kv_heads = 2, .head_dim = 128,
          .vocab = 1000};
}

// copies[layer * kv_heads + head] from a function of (layer, head).
template <class F>
Placement make(const ModelSpec& m, int gpus, const char* kind, F copies_of) {
  Placement p{.kind = kind, .layers = m.layers, .kv_heads = m.kv_heads, .gpus = gpus};
  for (int l = 0; l < m.layers; ++l)
    for (int h = 0; h < m.kv_heads; ++h) p.copies.push_back(copies_of(l, h));
  REQUIRE(placement_problem(p).empty());
  return p;
}

std::vector<RuntimeRequest> requests(const ModelSpec& m) {
  std::vector<RuntimeRequest> rs;
  const int prompts[] = {40, 70, 9};
  for (int i = 0; i < 3; ++i) {
    RuntimeRequest r{.id = i, .prompt_tokens = prompts[i], .output_tokens = 4, .budgets = {}};
    r.budgets.resize(m.layers, m.kv_heads);
    for (int l = 0; l < m.layers; ++l)
      for (int h = 0; h < m.kv_heads; ++h) {
        const std::size_t c = static_cast<std::size_t>(l) * m.kv_heads + h;
        r.budgets.kept[c] = std::min(prompts[i], 5 + 13 * (h + 1) + 7 * l + 3 * i);  // uneven per head
        r.budgets.growth[c] = 1.0f;
      }
    rs.push_back(std::move(r));
  }
  return rs;
}

// Steps: chunked prefill of request 1, prefill mixed with decode, then decodes of all.
std::vector<RuntimeStep> steps() {
  return {RuntimeStep{{{.index = 0, .chunk_start = 0, .chunk_len = 40}, {.index = 1, .chunk_start = 0, .chunk_len = 30}}},
          RuntimeStep{{{.index = 1, .chunk_start = 30, .chunk_len = 40}, {.index = 0, .decode = true},
                       {.index = 2, .chunk_start = 0, .chunk_len = 9}}},
          RuntimeStep{{{.index = 0, .decode = true}, {.index = 1, .decode = true}, {.index = 2, .decode = true}}},
          RuntimeStep{{{.index = 1, .decode = true}, {.index = 2, .decode = true}}}};
}

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
  // rows: per kv head, the cache entries attended.
  std::vector<float> forward(int id, int pos, const std::vector<std::vector<const Kv*>>& rows) const {
    const int D = m.head_dim, G = m.group_size();
    const auto x = input(id);
    const auto h = rmsnorm(x, n1, 1e-5);
    auto q = matvec(wq, h, static_cast<std::size_t>(m.q_heads) * D);
    rope(q, m.q_heads, D, pos, 500000.0);
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

// Runs the steps; returns every step's hidden output of GPU 0 (as floats).
std::vector<std::vector<float>> run_all(DecoderRuntime& rt, const char* what, LayerRef* ref) {
  std::vector<std::vector<float>> outs;
  int n = 0;
  for (const RuntimeStep& st : steps()) {
    const StepResult res = rt.run_step(st);
    print_timing(what, res);
    REQUIRE(static_cast<int>(res.gpus.size()) == rt.gpus());
    for (const auto& g : res.gpus) CHECK(g.total_s > 0);
    for (int g = 0; g < rt.gpus(); ++g) {
      const auto h = to_float(rt.hidden(g));
      for (float v : h) REQUIRE(std::isfinite(v));
      if (g == 0) outs.push_back(h);
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
        std::vector<std::vector<const LayerRef::Kv*>> rows(static_cast<std::size_t>(ref->m.kv_heads));
        const auto& pr = ref->prompt[r];
        for (int h = 0; h < ref->m.kv_heads; ++h) {
          if (!row_dec[t]) {
            for (int j = 0; j <= pos[t]; ++j) rows[static_cast<std::size_t>(h)].push_back(&pr[static_cast<std::size_t>(j)]);
          } else {
            const int kept = ref->reqs[static_cast<std::size_t>(r)].budgets.at(0, h);
            for (std::size_t j = pr.size() - static_cast<std::size_t>(kept); j < pr.size(); ++j)
              rows[static_cast<std::size_t>(h)].push_back(&pr[j]);
            for (const auto& d : ref->decoded[r]) rows[static_cast<std::size_t>(h)].push_back(&d);
          }
        }
        const auto want = ref->forward(ids[t], pos[t], rows);
        const std::vector<float> got(outs.back().begin() + static_cast<long>(t) * Hd,
                                     outs.back().begin() + static_cast<long>(t + 1) * Hd);
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
  RuntimeConfig cfg{.model = m, .placement = make(m, 1, "tensor_parallel", [](int, int) {
                      return std::vector<HeadCopy>{{0, 1.0}};
                    }),
                    .layers_run = 1, .seed = 7};
  DecoderRuntime rt(cfg);
  CHECK(rt.layer_scale() == 2.0);
  const auto reqs = requests(m);
  rt.admit(reqs);
  std::printf("%s\n", rt.describe().c_str());
  CHECK(rt.kv_bytes(0) == predicted_kv_bytes(m, cfg.placement, reqs, 0, 1));
  CHECK(rt.kv_bytes(0) > 0);

  KVSIM_CUDA_CHECK(cudaSetDevice(0));
  const LayerWeights& w = rt.weights(0, 0);
  LayerRef ref{.m = m, .emb = to_float(rt.embedding(0)), .wq = host(w.wq), .wk = host(w.wk), .wv = host(w.wv),
               .wo = host(w.wo), .gu = host(w.w_gate_up), .down = host(w.w_down), .n1 = host(w.attn_norm),
               .n2 = host(w.mlp_norm), .prompt = {}, .decoded = {}, .reqs = reqs};
  run_all(rt, "1gpu-1layer", &ref);
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
  auto one = make(m, 1, "tensor_parallel", [](int, int) { return std::vector<HeadCopy>{{0, 1.0}}; });
  auto tp = make(m, 2, "tensor_parallel", [](int, int h) { return std::vector<HeadCopy>{{h, 1.0}}; });
  // Head 0 of every layer copied on both GPUs (shares 0.5 / 0.5), head 1 on GPU 1.
  auto fc = make(m, 2, "fair_copying", [](int, int h) {
    return h == 0 ? std::vector<HeadCopy>{{0, 0.5}, {1, 0.5}} : std::vector<HeadCopy>{{1, 1.0}};
  });
  std::vector<std::vector<float>> base;
  int64_t base_kv = 0;
  {
    DecoderRuntime rt(RuntimeConfig{.model = m, .placement = one, .seed = 7});
    rt.admit(reqs);
    base_kv = rt.kv_bytes(0);
    base = run_all(rt, "1gpu", nullptr);
  }
  for (const Placement* p : {&tp, &fc}) {
    DecoderRuntime rt(RuntimeConfig{.model = m, .placement = *p, .seed = 7});
    rt.admit(reqs);
    std::printf("%s\n", rt.describe().c_str());
    int64_t total = 0;
    for (int g = 0; g < 2; ++g) {
      CHECK(rt.kv_bytes(g) == predicted_kv_bytes(m, *p, reqs, g, m.layers));
      total += rt.kv_bytes(g);
    }
    CHECK(total == base_kv);
    const auto outs = run_all(rt, p->kind.c_str(), nullptr);
    for (std::size_t s = 0; s < outs.size(); ++s) {
      const double e = rel(outs[s], base[s]);
      std::printf("%s step %zu: rel err vs 1 GPU %.2e\n", p->kind.c_str(), s, e);
      CHECK(e <= 2e-2);
    }
  }
}

}  // namespace
}  // namespace kvsim::runtime::test
