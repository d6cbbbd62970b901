// The one selector over every kernel of kernels/ (ggml-style): each kernel has a Params struct and
// three functions, supported / workspace_bytes / run, found by overload on the Params type.
// KernelParams holds any of them, so callers (the cuda executor, the calibration benchmarks, a
// conformance test) can treat kernels uniformly:
//
//   KernelParams k = DecodeParams{...};
//   if (auto s = supported(k); !s) fail(s.why);
//   workspace.resize(workspace_bytes(k)); run(k, workspace.data(), stream);
#pragma once

#include "kernels/attention/avl_refresh.h"
#include "kernels/attention/avl_sparse.h"
#include "kernels/attention/decode.h"
#include "kernels/compress/adakv_budget.h"
#include "kernels/compress/select_compact.h"
#include "kernels/compress/window_scores.h"
#include "kernels/kv_cache/append.h"
#include "kernels/topk/topk.h"

#include <variant>

namespace kvsim::kernels {

using KernelParams = std::variant<AppendParams, DecodeParams, AvlSparseParams, AvlImageScoresParams,
                                  AvlSelectCoreParams, TopkParams, WindowScoresParams, AdakvBudgetParams,
                                  CompressParams>;

inline const char* kernel_name(const KernelParams& p) {
  constexpr const char* names[] = {"append",    "decode",        "avl_sparse",   "avl_image_scores", "avl_select_core",
                                   "topk",      "window_scores", "adakv_budget", "compress"};
  return names[p.index()];
}

inline Support supported(const KernelParams& p) {
  return std::visit([](const auto& x) { return supported(x); }, p);
}
inline std::size_t workspace_bytes(const KernelParams& p) {
  return std::visit([](const auto& x) { return workspace_bytes(x); }, p);
}
// Checks supported() first and throws std::invalid_argument with the reason.
void run(const KernelParams& p, void* workspace, cudaStream_t stream);

}  // namespace kvsim::kernels
