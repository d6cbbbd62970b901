// What `kvsim report DIR` draws, gathered from whatever results DIR holds, as one JSON document that
// the page embeds:
//   a run folder      summary.json (+ requests.csv); with variants, each variant's subfolder
//   a sweep folder    sweep.json + points/*.json (written by kvsim sweep)
//   a plan folder     plan.json (kvsim plan)
//   a validation      validation.json: {"points": [{"name": ..., "predicted_s": x, "measured_s": y}, ...]}
// Several may be present in one folder. The document:
//   {"title", "runs": [{"name", "model", "gpu_count", "gpus": [...], "attention": [[layer][gpu]] | null,
//                       "placement": {"kind", "layers", "kv_heads", "gpus", "cells": [layer][gpu] -> [[head, share]]},
//                       "latency_s", "throughput", "cdf": {"ttft_s": [[x, p]...], "tpot_s": ..., "e2e_s": ...}}],
//    "sweep": {"axes", "axis_pointers", "rows": [{"name", "labels", "status", "metrics", "gpus"}]} | null,
//    "plan": plan.json | null, "validation": validation.json | null}
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kvsim::report {

// Throws InputError when DIR holds none of the above.
nlohmann::json gather_report_data(const std::filesystem::path& dir);

// The empirical CDF of `values` as at most `points` [value, fraction <= value] pairs (sorts values).
nlohmann::json cdf_points(std::vector<double> values, std::size_t points = 200);
// Latencies per request from requests.csv text: {"ttft_s": [...], "tpot_s": [...], "e2e_s": [...]}
// (completed requests only; TPOT of requests with more than one output token).
nlohmann::json request_latencies_cdf(const std::string& requests_csv);

}  // namespace kvsim::report
