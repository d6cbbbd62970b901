// Helpers shared by the topology tests: units and consecutive GPU id groups.
#pragma once

#include <vector>

namespace kvsim::testing {

constexpr double GB = 1e9;
constexpr double us = 1e-6;

// {first, first + 1, ..., first + count - 1}
inline std::vector<int> iota(int first, int count) {
  std::vector<int> v;
  for (int i = 0; i < count; ++i) v.push_back(first + i);
  return v;
}

}  // namespace kvsim::testing
