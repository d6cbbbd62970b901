// TpStepComposer: the tensor-parallel barrier composition, with op costs chosen to make the
// arithmetic checkable by hand; and the roofline op costs themselves.
#include "tests/support/catch.h"
#include "tests/support/counting_costs.h"

#include <memory>

#include "sim/executor/roofline_costs.h"
#include "sim/executor/tp_step_composer.h"

namespace {

using kvsim::testing::CountingCosts;

kvsim::Deployment two_gpu_deployment() {
  kvsim::Deployment d;
  d.model = {.name = "t", .layers = 2, .hidden = 8, .ffn = 16, .q_heads = 4, .kv_heads = 2, .head_dim = 4, .vocab = 10};
  d.gpus = 2;
  d.kv_heads_held = {1, 1, 2, 0};  // layer 0: one head each; layer 1: both on GPU 0
  d.kv_heads_served = {1, 1, 2, 0};
  d.weight_bytes = {0, 0};
  return d;
}

}  // namespace

TEST_CASE("each layer waits for its slowest GPU at the all-reduce") {
  kvsim::TpStepComposer composer("test", two_gpu_deployment(), std::make_unique<CountingCosts>());
  const std::vector<double> kv = {3, 7, 12, 0};  // [layer * gpus + gpu]
  kvsim::StepPlan plan;
  plan.decode_requests = 2;
  plan.decode_kv_tokens = kv;
  plan.want_trace = true;
  kvsim::StepTiming t;
  composer.time_step(plan, t);
  // Layer 0: attention phase max(1+3+1, 1+7+1) = 9; then 2 all-reduces (20), MLP 2 GEMMs (2), elementwise 0.5.
  // Layer 1: GPU 0: 1+12+1 = 14; GPU 1 holds no head and launches nothing (0); max 14; + 22.5.
  // LM head: one GEMM (1).
  CHECK(t.step_s == Approx(9 + 22.5 + 14 + 22.5 + 1));
  CHECK(t.attention_s[0] == 3);
  CHECK(t.attention_s[1] == 7);
  CHECK(t.attention_s[2] == 12);
  CHECK(t.attention_s[3] == 0);
  // Busy time excludes the wait at the barrier: GPU 0 waits 4 s in layer 0, GPU 1 waits 14 s in layer 1.
  CHECK(t.busy_s[0] == Approx(t.step_s - 4));
  CHECK(t.busy_s[1] == Approx(t.step_s - 14));
  // Trace: attn, allreduce, mlp, allreduce per layer per GPU, then the LM head per GPU.
  CHECK(t.slices.size() == 2 * 2 * 4 + 2);
}

TEST_CASE("an empty plan takes no time") {
  kvsim::TpStepComposer composer("test", two_gpu_deployment(), std::make_unique<CountingCosts>());
  kvsim::StepTiming t;
  composer.time_step(kvsim::StepPlan{}, t);
  CHECK(t.step_s == 0.0);
}

TEST_CASE("roofline: the larger of compute and memory time, and a ring all-reduce") {
  const kvsim::GpuSpec gpu{.name = "g", .memory_bytes = 1, .hbm_bytes_per_s = 1e12, .bf16_flops_per_s = 1e15,
                           .interconnect_bytes_per_s = 1e11, .interconnect_latency_s = 1e-5};
  const kvsim::RooflineCosts c(gpu);
  // Decode-shaped GEMM 1 x 8192 x 8192: 134 MB of weights dominate: (8192 + 8192*8192 + 8192) * 2 B / 1e12 B/s.
  CHECK(c.gemm_s(1, 8192, 8192) == Approx((8192.0 + 8192.0 * 8192 + 8192) * 2 / 1e12));
  // Square 8192^3: 2 * 8192^3 FLOPs / 1e15 FLOP/s is larger than its 402 MB / 1e12 B/s.
  CHECK(c.gemm_s(8192, 8192, 8192) == Approx(2.0 * 8192 * 8192 * 8192 / 1e15));
  // Decode attention over 1e6 KV rows of head_dim 128: 512 MB read.
  CHECK(c.decode_attention_s(1e6, 64, 8, 128) == Approx(1e6 * 2 * 128 * 2 / 1e12));
  // Ring all-reduce over 8 GPUs: alpha + 2 * 7/8 * bytes / bandwidth.
  CHECK(c.allreduce_s(1e9, 8) == Approx(1e-5 + 2.0 * 7 / 8 * 1e9 / 1e11));
  CHECK(c.allreduce_s(1e9, 1) == 0.0);
}
