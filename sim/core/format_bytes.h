// format_gib: bytes as "12.34 GiB", for messages (rejection reasons, input errors).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace kvsim {

inline std::string format_gib(std::int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
  return buf;
}

}  // namespace kvsim
