// The per-point result files of a sweep: DIR/points/<id>.json, written atomically when a point
// finishes, so an interrupted sweep loses at most the points that were running. A rerun treats a
// point as done when its file reads back with the same id; anything else is run again.
//
//   {"id": "...", "index": 3, "name": "kv_policy.budget=256", "labels": [...], "set": {...},
//    "status": "ok" | "error", "error": "..." (status error only: e.g. the model does not fit),
//    "metrics": {"completed": ..., "output_tokens_per_s": ..., "ttft_p99_s": ..., ...},
//    "extra": {"/pointer": value, ...}           (the sweep's "metrics" pointers)
//    "gpus": [{"weights_bytes", "kv_capacity_bytes", "peak_kv_bytes", "attention_s"}],
//    "wall_s": x}
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/sweep/sweep_spec.h"

namespace kvsim::sweep {

// The metrics of results.csv, in column order (each a key of a point file's "metrics").
const std::vector<std::string>& metric_columns();

// A point file's content from a run's summary.json.
nlohmann::json point_record(const SweepPoint& point, const nlohmann::json& summary, const std::vector<std::string>& extra);
// A point file's content for a point whose scenario could not run (it does not fit, ...).
nlohmann::json failed_point_record(const SweepPoint& point, const std::string& error);

std::filesystem::path point_path(const std::filesystem::path& dir, const SweepPoint& point);
// The stored record of `point`, if its file exists, parses and carries the point's id.
std::optional<nlohmann::json> read_point(const std::filesystem::path& dir, const SweepPoint& point);
void write_point(const std::filesystem::path& dir, const nlohmann::json& record);

}  // namespace kvsim::sweep
