// GPU presets. Rates from NVIDIA's datasheets (SXM parts, dense bf16 without sparsity; NVLink as the
// per-direction half of the quoted bidirectional figure). Memory as nvidia-smi reports it (MiB).
// The all-reduce alpha is a round lead for NCCL's small-message latency on one node; a calibrated
// profile replaces it with measured data.
#include "sim/model/gpu_spec.h"

#include <array>

namespace kvsim {
namespace {

constexpr std::int64_t MiB = 1024LL * 1024;

const std::array<GpuSpec, 3>& presets() {
  static const std::array<GpuSpec, 3> table{{
      {.name = "h200", .memory_bytes = 143771 * MiB, .hbm_bytes_per_s = 4.8e12, .bf16_flops_per_s = 989e12,
       .interconnect_bytes_per_s = 450e9, .interconnect_latency_s = 10e-6},
      {.name = "h100", .memory_bytes = 81559 * MiB, .hbm_bytes_per_s = 3.35e12, .bf16_flops_per_s = 989e12,
       .interconnect_bytes_per_s = 450e9, .interconnect_latency_s = 10e-6},
      {.name = "a100-80gb", .memory_bytes = 81920 * MiB, .hbm_bytes_per_s = 2.039e12, .bf16_flops_per_s = 312e12,
       .interconnect_bytes_per_s = 300e9, .interconnect_latency_s = 10e-6},
  }};
  return table;
}

}  // namespace

std::optional<GpuSpec> gpu_preset(std::string_view name) {
  for (const GpuSpec& g : presets())
    if (g.name == name) return g;
  return std::nullopt;
}

std::vector<std::string> gpu_preset_names() {
  std::vector<std::string> names;
  for (const GpuSpec& g : presets()) names.push_back(g.name);
  return names;
}

}  // namespace kvsim
