// Writes a file atomically: the content goes to a temporary file in the same folder, which is then
// renamed over the target, so a reader (or an interrupted run) never sees a half-written file.
#pragma once

#include <filesystem>
#include <string_view>

namespace kvsim {

// Throws std::runtime_error naming the path if the folder cannot be created or the file written.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace kvsim
