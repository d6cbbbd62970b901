// ModelSpec: the shapes of a decoder-only transformer that decide its memory and compute, and the
// presets of the models kvsim ships (numbers from each model's config.json, see DESIGN.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/model/vision_spec.h"

namespace kvsim {

struct ModelSpec {
  std::string name;
  int layers = 0;
  int hidden = 0;
  int ffn = 0;          // intermediate size of the gated MLP (gate, up, down)
  int q_heads = 0;
  int kv_heads = 0;     // GQA key/value heads: the unit that owns KV
  int head_dim = 0;
  int vocab = 0;
  int dtype_bytes = 2;  // bf16 weights and KV
  bool tied_embeddings = false;
  std::optional<VisionSpec> vision = std::nullopt;  // the vision tower of a vision-language model (none: text only)

  int group_size() const { return q_heads / kv_heads; }  // q heads served by one kv head
  // KV bytes of one token in one kv head of one layer (K and V).
  std::int64_t kv_bytes_per_head_token() const { return 2LL * head_dim * dtype_bytes; }
  // KV bytes of one token over the whole model with no compression.
  std::int64_t kv_bytes_per_token() const { return kv_bytes_per_head_token() * kv_heads * layers; }
  // Projection weights of one kv head and its q heads in one layer: Wq, Wk, Wv and the matching
  // slice of Wo (hidden x head_dim each, group_size of them for q and o).
  std::int64_t attention_weight_bytes_per_kv_head() const {
    return static_cast<std::int64_t>(hidden) * head_dim * (2LL * group_size() + 2) * dtype_bytes;
  }
  std::int64_t mlp_weight_bytes_per_layer() const { return 3LL * hidden * ffn * dtype_bytes; }
  std::int64_t norm_weight_bytes_per_layer() const { return 2LL * hidden * dtype_bytes; }
  std::int64_t embedding_bytes() const {
    return static_cast<std::int64_t>(vocab) * hidden * dtype_bytes * (tied_embeddings ? 1 : 2);
  }
  std::int64_t total_weight_bytes() const {
    return layers * (kv_heads * attention_weight_bytes_per_kv_head() + mlp_weight_bytes_per_layer() +
                     norm_weight_bytes_per_layer()) +
           embedding_bytes() + static_cast<std::int64_t>(hidden) * dtype_bytes +  // final norm
           (vision ? vision->weight_bytes(hidden, dtype_bytes) : 0);
  }
};

// Preset names: "llama-3-70b", "mistral-small-24b", "llama-3-8b", "llava-1.5-7b", "llava-next-7b",
// "llava-next-mistral-7b" (and any added later).
std::optional<ModelSpec> model_preset(std::string_view name);
std::vector<std::string> model_preset_names();

}  // namespace kvsim
