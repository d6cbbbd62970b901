// RooflineCosts: each op's time is the larger of FLOPs over the GPU's bf16 peak and bytes over its
// HBM bandwidth; all-reduce is a ring: alpha + 2(n-1)/n * bytes / link bandwidth. Needs no data, so
// it is the built-in default; it is optimistic (no launch overheads, peak rates) by construction.
#pragma once

#include "sim/executor/op_costs.h"
#include "sim/model/gpu_spec.h"

namespace kvsim {

class RooflineCosts final : public OpCosts {
 public:
  explicit RooflineCosts(const GpuSpec& gpu, int dtype_bytes = 2) : gpu_(gpu), dtype_bytes_(dtype_bytes) {}

  double gemm_s(double m, double n, double k) const override {
    const double flops = 2.0 * m * n * k;
    const double bytes = (m * k + k * n + m * n) * dtype_bytes_;
    return roof(flops, bytes);
  }
  double decode_attention_s(double kv_tokens, int requests, int group, int head_dim) const override {
    const double bytes = kv_tokens * 2.0 * head_dim * dtype_bytes_;   // K and V rows
    const double flops = kv_tokens * 4.0 * head_dim * group;          // q.k and p.v per query head
    (void)requests;
    return roof(flops, bytes);
  }
  double prefill_attention_s(double pairs, int group, int head_dim) const override {
    return roof(pairs * 4.0 * head_dim * group, 0.0);
  }
  double allreduce_s(double bytes, int gpus) const override {
    if (gpus <= 1) return 0.0;
    return gpu_.interconnect_latency_s + 2.0 * (gpus - 1) / gpus * bytes / gpu_.interconnect_bytes_per_s;
  }
  double elementwise_s(double bytes) const override { return bytes / gpu_.hbm_bytes_per_s; }

 private:
  double roof(double flops, double bytes) const {
    const double compute = flops / gpu_.bf16_flops_per_s;
    const double memory = bytes / gpu_.hbm_bytes_per_s;
    return compute > memory ? compute : memory;
  }
  GpuSpec gpu_;
  int dtype_bytes_;
};

}  // namespace kvsim
