// Resolves a data-file reference from a scenario. "@head-profiles/NAME" names a file of the per-head
// statistics published with real models: it is looked up in $KVSIM_HEAD_PROFILES, then in
// <source>/../shared/data/head-profiles, then in <source>/data/head-profiles. Any other path is taken
// relative to the directory of the file that mentions it (base_dir).
#pragma once

#include <filesystem>
#include <string_view>

namespace kvsim {

std::filesystem::path resolve_data_path(std::string_view reference, const std::filesystem::path& base_dir);

}  // namespace kvsim
