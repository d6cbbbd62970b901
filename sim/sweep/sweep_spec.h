// SweepSpec: a SWEEP.json file expanded into its points. A sweep is a base scenario and axes; the
// points are the cartesian product of the axes, each point a set of JSON-pointer patches applied to
// the base scenario (the same patches as a scenario's "variants").
//
//   {"schema_version": 1,
//    "base": "../llama70b.json" | {...inline scenario...},
//    "grid": {"/kv_policy/budget": [128, 256, 512], "/placement": [{"kind": "tensor_parallel"}, ...]},
//    "points": [{"name": "small-batch", "set": {"/scheduler/max_batch_size": 64}}, ...],
//    "metrics": ["/placement_quality/cost_over_bound", ...]}
//
// Axes, slowest-varying first: the base scenario's own "variants" (column "variant"), "points"
// (column "point"), then each "grid" pointer in file order (column: the pointer without its leading
// "/", "/" -> "."; the last grid key varies fastest). "grid" and "points" are each optional but one
// must be there. "metrics" adds columns to results.csv: JSON pointers into each point's summary.json.
//
// Every point gets a stable id, a hash of its whole scenario (base with patches), so a rerun after
// an interruption finds the points already done, and editing the base or a value reruns exactly the
// points that changed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario/scenario.h"

namespace kvsim::sweep {

inline constexpr int kSweepSchemaVersion = 1;

struct SweepPoint {
  std::size_t index = 0;             // position in the expansion (0-based)
  std::string id = {};                    // 16 hex digits: FNV-1a 64 of the point's scenario JSON
  std::string name = {};                  // "kv_policy.budget=256,placement=fair_copying"
  std::vector<std::string> labels = {};   // one per axis, in axis order
  nlohmann::json set = {};                // pointer -> value, everything this point changes
  nlohmann::json scenario = {};           // the base scenario with the patches applied (not yet validated)
};

struct SweepSpec {
  std::string file = {};                       // for messages
  Scenario base = {};                          // validated base (variants kept in base.variants)
  std::vector<std::string> axes = {};          // column names, in axis order
  std::vector<std::string> axis_pointers = {}; // the grid pointer of each axis ("" for variant and point)
  std::vector<std::string> metrics = {};       // extra JSON pointers into summary.json
  std::vector<SweepPoint> points = {};
};

// Reads SWEEP.json (grid keys in file order). Throws InputError on anything malformed; does not yet
// validate the point scenarios (validate_points does).
SweepSpec load_sweep(const std::string& path);
// As load_sweep for already-read JSON. grid_order lists the grid's keys in the order wanted (keys
// not in it follow in sorted order); base_dir resolves a base given as a path.
SweepSpec parse_sweep(const nlohmann::json& root, const std::string& file, const std::filesystem::path& base_dir,
                      const std::vector<std::string>& grid_order = {});

// Parses every point's scenario, and builds each distinct kv_policy and placement once on a small
// stand-in, so a bad value anywhere fails before anything runs. Throws InputError naming the point.
void validate_points(const SweepSpec& spec);
// The validated scenario of one point.
Scenario point_scenario(const SweepSpec& spec, const SweepPoint& point);

// FNV-1a 64 of `text`, as 16 lower-case hex digits.
std::string stable_hash(const std::string& text);
// A short label for an axis value: numbers and strings as they are, {"kind": k} as k, other
// objects as "k a=1 b=2", anything else as compact JSON.
std::string value_label(const nlohmann::json& value);

}  // namespace kvsim::sweep
