// StreamingPolicy: StreamingLLM (Xiao et al., ICLR 2024): every head keeps the first `sink` tokens
// (attention sinks, default 4) and the `window` most recent (required: no size fits every model),
// over the whole sequence, images included. Stored tokens are computed; growth is the mean rate to
// the footprint after the last step (token_rules.h): a cache that fills mid-decode is linear to it.
#pragma once

#include "sim/policy/attention_policy.h"
#include "sim/scenario/json_reader.h"

namespace kvsim {

class StreamingPolicy final : public AttentionPolicy {
 public:
  StreamingPolicy(const ModelSpec& model, int sink, int window)
      : layers_(model.layers), kv_heads_(model.kv_heads), sink_(sink), window_(window) {}
  std::string_view name() const override { return "streaming_llm"; }
  void footprint(const Request& request, PolicyFootprint& out) const override;
  std::string describe() const override {
    return "streaming_llm: sink " + std::to_string(sink_) + " + window " + std::to_string(window_);
  }

 private:
  int layers_, kv_heads_, sink_, window_;
};

std::unique_ptr<AttentionPolicy> parse_streaming_policy(const JsonReader& r, const ModelSpec& model);

}  // namespace kvsim
