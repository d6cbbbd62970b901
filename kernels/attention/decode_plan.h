// DecodePlan: the per-step, all-layers work split of split-KV decode attention, on the device.
// Built once per decode step from every layer's per-segment lengths (host), uploaded in one copy,
// then passed to each layer's DecodeParams / AvlSparseParams (`layer` picks its slice). Layers have
// different per-head budgets under AdaKV-style compression, so each layer gets its own schedule.
//
//   DecodePlan plan(DecodeScheduleConfig_for_device(128));
//   plan.update(lengths /* [layers][segments] */, layers, segments, stream);
//   for (layer ...) run(DecodeParams{..., .plan = &plan, .layer = layer, ...}, workspace, stream);
#pragma once

#include "kernels/attention/decode_schedule.h"
#include "kernels/common/device_buffer.h"

#include <cuda_runtime.h>

#include <cstddef>
#include <span>
#include <vector>

namespace kvsim::kernels {

// The schedule config for this device and head_dim: SM count and the split kernel's occupancy.
DecodeScheduleConfig decode_schedule_config_for_device(int head_dim);

class DecodePlan {
 public:
  struct Layer {
    const DecodeWorkItem* items = nullptr;     // device
    const SegmentChunks* segments = nullptr;   // device
    int num_items = 0;
    int num_segments = 0;
    bool needs_merge = true;                   // false: every segment is one direct item
    bool has_split = true;                     // some segment has several chunks (merge needed
                                               // even when empty segments are not zeroed)
  };

  DecodePlan() = default;
  explicit DecodePlan(DecodeScheduleConfig cfg) : cfg_(cfg) {}

  // lengths: row-major [num_layers][num_segments], tokens each segment's attention covers.
  void update(std::span<const int32_t> lengths, int num_layers, int num_segments, cudaStream_t stream = nullptr);

  int num_layers() const { return static_cast<int>(layer_first_item_.size()); }
  int num_segments() const { return num_segments_; }
  Layer layer(int l) const;
  int max_items_per_layer() const { return max_items_; }
  const DecodeScheduleConfig& config() const { return cfg_; }
  const LayerSchedule& host_schedule(int l) const { return host_[static_cast<std::size_t>(l)]; }

 private:
  DecodeScheduleConfig cfg_{};
  int num_segments_ = 0;
  int max_items_ = 0;
  std::vector<LayerSchedule> host_;
  std::vector<int> layer_first_item_;
  std::vector<DecodeWorkItem> items_host_;
  std::vector<SegmentChunks> segments_host_;
  DeviceBuffer<DecodeWorkItem> items_;
  DeviceBuffer<SegmentChunks> segments_;
};

}  // namespace kvsim::kernels
