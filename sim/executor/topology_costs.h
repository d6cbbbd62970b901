// TopologyCosts: an OpCosts that takes every op from another OpCosts except the all-reduce, which
// it prices on one TP group of a GPU topology graph: NCCL's own cost model (ring or tree, LL, LL128
// or Simple, whichever NCCL's tuner would pick) on the graph's bottleneck links and hop latencies,
// with the host's time to issue it where a profile measured that, or measured NCCL data attached to
// the topology (sim/topology/collectives.cpp).
#pragma once

#include <memory>

#include "sim/executor/op_costs.h"
#include "sim/topology/topology.h"

namespace kvsim {

class TopologyCosts final : public OpCosts {
 public:
  TopologyCosts(std::unique_ptr<OpCosts> base, GroupCost group) : base_(std::move(base)), group_(std::move(group)) {}

  double gemm_s(double m, double n, double k) const override { return base_->gemm_s(m, n, k); }
  double decode_attention_s(double kv_tokens, int requests, int group, int head_dim) const override {
    return base_->decode_attention_s(kv_tokens, requests, group, head_dim);
  }
  double sparse_decode_attention_s(double kv_tokens, double segments, int requests, int group,
                                   int head_dim) const override {
    return base_->sparse_decode_attention_s(kv_tokens, segments, requests, group, head_dim);
  }
  double avl_refresh_s(double tokens, double segments, int group, int head_dim) const override {
    return base_->avl_refresh_s(tokens, segments, group, head_dim);
  }
  double prefill_attention_s(double pairs, int group, int head_dim) const override {
    return base_->prefill_attention_s(pairs, group, head_dim);
  }
  double allreduce_s(double bytes, int gpus) const override {
    return gpus <= 1 ? 0.0 : group_.allreduce_s(static_cast<std::int64_t>(bytes));
  }
  double elementwise_s(double bytes) const override { return base_->elementwise_s(bytes); }
  nlohmann::json notes() const override {
    nlohmann::json n = base_->notes();
    n["allreduce"] = {{"source", group_.measured.empty() ? "topology graph, NCCL cost model" : "measured NCCL curve"},
                      {"ring_busbw_bytes_per_s", group_.ring.bandwidth_bytes_per_s},
                      {"nccl_busbw_bytes_per_s", group_.nccl.busbw},
                      {"issue_mode", group_.gpus_per_issuing_thread > 1 ? "one_thread" : "thread_per_gpu"},
                      {"issue_per_gpu_s", group_.issue.per_gpu_s},
                      {"issue_per_gpu_channel_s", group_.issue.per_gpu_channel_s},
                      {"ring_hop_latency_s", group_.ring.latency_s},
                      {"hosts", group_.shape.hosts}};
    return n;
  }

 private:
  std::unique_ptr<OpCosts> base_;
  GroupCost group_;
};

}  // namespace kvsim
