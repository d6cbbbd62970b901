// OpCosts: the time of each operation a decoder step is made of, on one GPU. The roofline
// executor and the calibrated executor differ only here; TpStepComposer (tp_step_composer.h) turns
// these per-op times into a step time with the tensor-parallel barriers.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace kvsim {

class OpCosts {
 public:
  virtual ~OpCosts() = default;
  // bf16 GEMM C[m,n] = A[m,k] B[k,n].
  virtual double gemm_s(double m, double n, double k) const = 0;
  // Decode attention of one layer on one GPU: `kv_tokens` KV rows of `head_dim` read over all the
  // (request, kv head) segments it serves; each row serves `group` query heads.
  virtual double decode_attention_s(double kv_tokens, int requests, int group, int head_dim) const = 0;
  // A-VL's sparse decode attention (kernels/attention/avl_sparse.h: the decode kernel reading rows
  // through an index list) over `segments` (request, kv head) segments: what an engine running A-VL
  // runs for every decode. Default: priced as dense decode attention over the same rows.
  virtual double sparse_decode_attention_s(double kv_tokens, double segments, int requests, int group,
                                           int head_dim) const {
    (void)segments;
    return decode_attention_s(kv_tokens, requests, group, head_dim);
  }
  // A-VL's refresh scoring after a refresh step's dense attention (kernels/attention/avl_refresh.h):
  // `tokens` stored image tokens scored over `segments` (request, kv head) segments, then the core
  // top-k. Default: the K rows it reads as elementwise traffic.
  virtual double avl_refresh_s(double tokens, double segments, int group, int head_dim) const {
    (void)segments;
    (void)group;
    return elementwise_s(tokens * head_dim * 2.0);
  }
  // Prefill (causal) attention: `pairs` query-key pairs per kv head summed over heads; `group` query
  // heads share each kv head.
  virtual double prefill_attention_s(double pairs, int group, int head_dim) const = 0;
  // All-reduce of `bytes` over `gpus` GPUs (0 for one GPU).
  virtual double allreduce_s(double bytes, int gpus) const = 0;
  // Memory-bound elementwise work (norms, RoPE, residual adds, activation): bytes read + written.
  virtual double elementwise_s(double bytes) const = 0;
  virtual nlohmann::json notes() const { return nlohmann::json::object(); }
};

}  // namespace kvsim
