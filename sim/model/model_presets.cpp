// Presets of the models in DESIGN.md ("Facts to build on"), shapes from each model's config.json.
// The LLaVA models carry the CLIP ViT-L/14-336 tower (sim/model/vision_spec.h). LLaVA-NeXT (1.6):
//   llava-next-7b          liuhaotian/llava-v1.6-vicuna-7b: Vicuna-7B v1.5 body, the LLaMA-2-7B shapes
//                          (32 layers, hidden 4096, ffn 11008, 32 q = 32 kv heads of 128, vocab 32000)
//   llava-next-mistral-7b  liuhaotian/llava-v1.6-mistral-7b: Mistral-7B-Instruct-v0.2 body (32 layers,
//                          hidden 4096, ffn 14336, 32 q / 8 kv heads of 128, vocab 32000), the GQA one
// Vocabularies are the language models' (LLaVA's HF conversions add a few image/pad tokens: 32064).
#include "sim/model/model_spec.h"

#include <array>

namespace kvsim {
namespace {

const std::array<ModelSpec, 6>& presets() {
  static const std::array<ModelSpec, 6> table{{
      {.name = "llama-3-70b", .layers = 80, .hidden = 8192, .ffn = 28672, .q_heads = 64,
       .kv_heads = 8, .head_dim = 128, .vocab = 128256, .vision = std::nullopt},
      {.name = "mistral-small-24b", .layers = 40, .hidden = 5120, .ffn = 32768, .q_heads = 32,
       .kv_heads = 8, .head_dim = 128, .vocab = 131072, .vision = std::nullopt},
      {.name = "llama-3-8b", .layers = 32, .hidden = 4096, .ffn = 14336, .q_heads = 32,
       .kv_heads = 8, .head_dim = 128, .vocab = 128256, .vision = std::nullopt},
      {.name = "llava-1.5-7b", .layers = 32, .hidden = 4096, .ffn = 11008, .q_heads = 32,
       .kv_heads = 32, .head_dim = 128, .vocab = 32000, .vision = vision_preset("clip-vit-l-14-336")},
      {.name = "llava-next-7b", .layers = 32, .hidden = 4096, .ffn = 11008, .q_heads = 32,
       .kv_heads = 32, .head_dim = 128, .vocab = 32000, .vision = vision_preset("clip-vit-l-14-336")},
      {.name = "llava-next-mistral-7b", .layers = 32, .hidden = 4096, .ffn = 14336, .q_heads = 32,
       .kv_heads = 8, .head_dim = 128, .vocab = 32000, .vision = vision_preset("clip-vit-l-14-336")},
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
