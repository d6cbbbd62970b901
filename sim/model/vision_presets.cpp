// Vision tower presets (see vision_spec.h for the sources of the numbers).
#include "sim/model/vision_spec.h"

namespace kvsim {

std::optional<VisionSpec> vision_preset(std::string_view name) {
  if (name == "clip-vit-l-14-336")
    return VisionSpec{.name = "clip-vit-l-14-336", .layers = 24, .hidden = 1024, .ffn = 4096, .heads = 16,
                      .patch_tokens = 576, .extra_tokens = 1, .projector_hidden = 4096};
  return std::nullopt;
}

}  // namespace kvsim
