// VisionSpec: the vision tower of a vision-language model (a ViT encoder and the projector into the
// language model's hidden size), with what it takes to cost its prefill work per image. An image is
// encoded as tiles (crops): LLaVA-1.5 encodes one 336x336 tile per image into 576 tokens; LLaVA-NeXT
// ("anyres") encodes a base tile plus up to four grid tiles, up to 2880 tokens. Every tile runs the
// whole encoder over patch_tokens + extra_tokens tokens (the CLS token), and its patch tokens go
// through the projector.
//
// Preset "clip-vit-l-14-336" (openai/clip-vit-large-patch14-336, vision_config in its config.json):
// 24 layers, hidden 1024, MLP 4096 (GELU, not gated), 16 heads of 64, (336/14)^2 = 576 patches + CLS.
// LLaVA's projector ("mlp2x_gelu", llava-v1.5-7b config.json mm_projector_type) is
// Linear(1024 -> 4096), GELU, Linear(4096 -> 4096), 4096 being the language model's hidden size.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kvsim {

struct VisionSpec {
  std::string name;
  int layers = 0;
  int hidden = 0;
  int ffn = 0;               // MLP intermediate size (two matrices: up, down)
  int heads = 0;             // attention heads (bidirectional attention within a tile)
  int patch_tokens = 0;      // tokens a tile gives the language model
  int extra_tokens = 0;      // tokens the encoder also runs but the projector drops (CLS)
  int projector_hidden = 0;  // the projector's intermediate width; its output is the LLM's hidden size

  int encoder_tokens_per_tile() const { return patch_tokens + extra_tokens; }
  // Weights of the encoder's attention and MLP matrices and of the projector into `llm_hidden`
  // (biases, norms and the patch and position embeddings, under 1% of CLIP ViT-L, are left out).
  std::int64_t weight_bytes(int llm_hidden, int dtype_bytes) const {
    const std::int64_t h = hidden;
    return (layers * (4 * h * h + 2 * h * ffn) + h * projector_hidden +
            static_cast<std::int64_t>(projector_hidden) * llm_hidden) * dtype_bytes;
  }
  int head_dim() const { return heads > 0 ? hidden / heads : 0; }
};

// Tiles the encoder runs for `images` images of `image_tokens` tokens in all, split evenly over the
// images (the first image_tokens % images get one more): each image needs ceil(its tokens /
// patch_tokens) tiles. Exact for LLaVA-1.5 (576 per image) and for LLaVA-NeXT's multiples of 576.
inline int vision_tiles(const VisionSpec& v, int images, int image_tokens) {
  if (images <= 0 || image_tokens <= 0 || v.patch_tokens <= 0) return 0;
  const int base = image_tokens / images, more = image_tokens % images;
  auto tiles = [&](int tokens) { return (tokens + v.patch_tokens - 1) / v.patch_tokens; };
  return more * tiles(base + 1) + (images - more) * tiles(base);
}

// "clip-vit-l-14-336".
std::optional<VisionSpec> vision_preset(std::string_view name);

}  // namespace kvsim
