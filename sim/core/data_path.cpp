// See data_path.h.
#include "sim/core/data_path.h"

#include <cstdlib>
#include <string>

namespace kvsim {

std::filesystem::path resolve_data_path(std::string_view reference, const std::filesystem::path& base_dir) {
  constexpr std::string_view prefix = "@head-profiles/";
  if (reference.substr(0, prefix.size()) == prefix) {
    const std::string name(reference.substr(prefix.size()));
    std::filesystem::path candidates[3];
    if (const char* env = std::getenv("KVSIM_HEAD_PROFILES")) candidates[0] = std::filesystem::path(env) / name;
    candidates[1] = std::filesystem::path(KVSIM_SOURCE_DIR) / ".." / "shared" / "data" / "head-profiles" / name;
    candidates[2] = std::filesystem::path(KVSIM_SOURCE_DIR) / "data" / "head-profiles" / name;
    for (const auto& c : candidates)
      if (!c.empty() && std::filesystem::exists(c)) return c.lexically_normal();
    return candidates[1].lexically_normal();  // does not exist: the reader reports it with this path
  }
  const std::filesystem::path p{std::string(reference)};
  return p.is_absolute() ? p : (base_dir / p).lexically_normal();
}

}  // namespace kvsim
