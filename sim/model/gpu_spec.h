// GpuSpec: what the roofline executor and the memory accounting need to know about one GPU, and the
// presets kvsim ships. Preset numbers are vendor datasheet values (leads, not measurements), except
// memory, which is the capacity the driver reports (nvidia-smi). Calibration replaces the rates with
// measured ones; nothing here is a measurement of ours.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvsim {

struct GpuSpec {
  std::string name;
  std::int64_t memory_bytes = 0;
  double hbm_bytes_per_s = 0;
  double bf16_flops_per_s = 0;           // dense
  double interconnect_bytes_per_s = 0;   // per GPU, per direction (NVLink)
  double interconnect_latency_s = 0;     // alpha of one all-reduce (launch + synchronisation)
};

// "h200", "h100", "a100-80gb".
std::optional<GpuSpec> gpu_preset(std::string_view name);
std::vector<std::string> gpu_preset_names();

}  // namespace kvsim
