// Presets of the models in DESIGN.md ("Facts to build on"), shapes from each model's config.json.
#include "sim/model/model_spec.h"

#include <array>

namespace kvsim {
namespace {

const std::array<ModelSpec, 4>& presets() {
  static const std::array<ModelSpec, 4> table{{
      {.name = "llama-3-70b", .layers = 80, .hidden = 8192, .ffn = 28672, .q_heads = 64,
       .kv_heads = 8, .head_dim = 128, .vocab = 128256},
      {.name = "mistral-small-24b", .layers = 40, .hidden = 5120, .ffn = 32768, .q_heads = 32,
       .kv_heads = 8, .head_dim = 128, .vocab = 131072},
      {.name = "llama-3-8b", .layers = 32, .hidden = 4096, .ffn = 14336, .q_heads = 32,
       .kv_heads = 8, .head_dim = 128, .vocab = 128256},
      {.name = "llava-1.5-7b", .layers = 32, .hidden = 4096, .ffn = 11008, .q_heads = 32,
       .kv_heads = 32, .head_dim = 128, .vocab = 32000},
  }};
  return table;
}

}  // namespace

std::optional<ModelSpec> model_preset(std::string_view name) {
  for (const ModelSpec& m : presets())
    if (m.name == name) return m;
  return std::nullopt;
}

std::vector<std::string> model_preset_names() {
  std::vector<std::string> names;
  for (const ModelSpec& m : presets()) names.push_back(m.name);
  return names;
}

}  // namespace kvsim
