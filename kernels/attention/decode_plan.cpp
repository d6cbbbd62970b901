// DecodePlan::update: schedules every layer on the host and uploads all of them in two copies.
#include "kernels/attention/decode_plan.h"

#include <stdexcept>

namespace kvsim::kernels {

void DecodePlan::update(std::span<const int32_t> lengths, int num_layers, int num_segments, cudaStream_t stream) {
  if (num_layers < 0 || num_segments < 0 ||
      lengths.size() != static_cast<std::size_t>(num_layers) * static_cast<std::size_t>(num_segments))
    throw std::invalid_argument("DecodePlan::update: lengths must hold num_layers * num_segments values");
  num_segments_ = num_segments;
  max_items_ = 0;
  host_.clear();
  layer_first_item_.clear();
  items_host_.clear();
  segments_host_.clear();
  for (int l = 0; l < num_layers; ++l) {
    host_.push_back(schedule_layer(lengths.subspan(static_cast<std::size_t>(l) * num_segments, num_segments), cfg_));
    const LayerSchedule& s = host_.back();
    layer_first_item_.push_back(static_cast<int>(items_host_.size()));
    items_host_.insert(items_host_.end(), s.items.begin(), s.items.end());
    segments_host_.insert(segments_host_.end(), s.segments.begin(), s.segments.end());
    max_items_ = std::max(max_items_, static_cast<int>(s.items.size()));
  }
  items_.upload(items_host_, stream);
  segments_.upload(segments_host_, stream);
  // The host vectors must outlive the asynchronous copies; they are members, so they do until the
  // next update, which callers issue on the same stream.
}

DecodePlan::Layer DecodePlan::layer(int l) const {
  if (l < 0 || l >= num_layers()) throw std::out_of_range("DecodePlan::layer: no such layer");
  const std::size_t li = static_cast<std::size_t>(l);
  return {items_.data() + layer_first_item_[li], segments_.data() + li * static_cast<std::size_t>(num_segments_),
          static_cast<int>(host_[li].items.size()), num_segments_, host_[li].needs_merge, host_[li].has_split};
}

}  // namespace kvsim::kernels
