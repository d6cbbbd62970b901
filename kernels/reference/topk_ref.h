// CPU reference of the top-k kernel (kernels/topk/topk.h): indices of the k largest scores, ties
// to the lower index, returned in ascending index order.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace kvsim::kernels::ref {

std::vector<int32_t> topk_ref(std::span<const float> scores, int k);

}  // namespace kvsim::kernels::ref
