// CalibratedCosts: OpCosts from a measured profile (calibration_profile.h). Each op interpolates its
// measured grid (cost_model.h); outside the grid, or for a shape no series measured, it scales the
// nearest measurement by the op's fitted roofline, and counts every such fallback by op and reason
// so that notes() (and so summary.json) says how much of a run rested on extrapolation.
//   gemm_s              series per (n, k); unseen (n, k): nearest measured shape in log space,
//                       scaled by the roofline ratio
//   decode_attention_s  series per (group, head_dim) over (requests, kv_tokens / requests)
//   sparse_decode_attention_s  the avl_sparse op: series per (group, head_dim) over (segments,
//                       kv_tokens / segments); a profile without it prices dense decode (noted)
//   avl_refresh_s       the avl_refresh op over (segments, tokens / segments); a profile without
//                       it prices the K rows read as elementwise traffic (noted)
//   prefill_attention_s series per (group, head_dim) over pairs
//   allreduce_s         series per GPU count; other counts scale the nearest count by the ring
//                       roofline; a profile without all-reduce uses the scenario GPU's datasheet ring
//   elementwise_s       one series over the composer's byte count
// Not thread-safe (it keeps a lookup cache and fallback counters): one per simulation, as each
// simulation builds its own executor.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/executor/calibration_profile.h"
#include "sim/executor/op_costs.h"
#include "sim/model/gpu_spec.h"

namespace kvsim {

class CalibratedCosts final : public OpCosts {
 public:
  // `gpu` serves only the all-reduce of a profile that measured none (datasheet ring model).
  CalibratedCosts(CalibrationProfile profile, GpuSpec gpu);

  double gemm_s(double m, double n, double k) const override;
  double decode_attention_s(double kv_tokens, int requests, int group, int head_dim) const override;
  double sparse_decode_attention_s(double kv_tokens, double segments, int requests, int group,
                                   int head_dim) const override;
  double avl_refresh_s(double tokens, double segments, int group, int head_dim) const override;
  double prefill_attention_s(double pairs, int group, int head_dim) const override;
  double allreduce_s(double bytes, int gpus) const override;
  double elementwise_s(double bytes) const override;
  nlohmann::json notes() const override;

  const CalibrationProfile& profile() const { return profile_; }

 private:
  struct Fallbacks {
    long long count = 0;
    std::vector<std::string> examples;  // the first few, for the summary
  };
  struct CachedKey {
    int op;
    std::array<double, 2> key;
    std::size_t series;
    bool exact;
  };
  enum Reason : int { kShape = 0, kGrid = 1, kNoAllreduce = 2, kNoSparse = 3, kNoRefresh = 4 };
  // The series for `key` of `op` (exact or nearest, cached) and whether it was an exact match.
  const CachedKey& series_for(CalibratedOp op, const std::array<double, 2>& key) const;
  double evaluate(CalibratedOp op, const std::array<double, 2>& key, const std::array<double, 2>& x) const;
  // Counts a fallback; builds the example text only while fewer than a few are kept.
  template <class Describe>
  void note(CalibratedOp op, Reason reason, Describe&& describe) const;

  CalibrationProfile profile_;
  GpuSpec gpu_;
  mutable std::vector<CachedKey> cache_;  // a run asks for a handful of shapes: linear search
  mutable std::map<std::pair<int, int>, Fallbacks> fallbacks_;  // (op, reason)
  mutable long long calls_ = 0;
};

}  // namespace kvsim
