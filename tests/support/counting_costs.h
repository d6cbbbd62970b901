// CountingCosts: an OpCosts with round per-op times (gemm 1 s per call, attention 1 s per KV token or
// query-key pair, all-reduce 10 s across several GPUs, elementwise 0.5 s), so that tests can check an
// executor's composition of a step by hand.
#pragma once

#include "sim/executor/op_costs.h"

namespace kvsim::testing {

class CountingCosts final : public OpCosts {
 public:
  double gemm_s(double, double, double) const override { return 1.0; }
  double decode_attention_s(double kv_tokens, int, int, int) const override { return kv_tokens; }
  double prefill_attention_s(double pairs, int, int) const override { return pairs; }
  double allreduce_s(double, int gpus) const override { return gpus > 1 ? 10.0 : 0.0; }
  double elementwise_s(double) const override { return 0.5; }
};

}  // namespace kvsim::testing
