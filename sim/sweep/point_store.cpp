// See point_store.h.
#include "sim/sweep/point_store.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "sim/core/atomic_file.h"

namespace kvsim::sweep {
namespace {

nlohmann::json at_or_null(const nlohmann::json& doc, const std::string& pointer) {
  try {
    const nlohmann::json::json_pointer p(pointer);
    return doc.contains(p) ? doc.at(p) : nlohmann::json();
  } catch (const nlohmann::json::exception&) {
    return nlohmann::json();
  }
}

nlohmann::json base_record(const SweepPoint& point) {
  return {{"id", point.id}, {"index", point.index}, {"name", point.name}, {"labels", point.labels}, {"set", point.set}};
}

}  // namespace

const std::vector<std::string>& metric_columns() {
  static const std::vector<std::string> columns{
      "completed", "rejected", "output_tokens_per_s", "requests_per_s", "decode_only_tokens_per_s",
      "ttft_p50_s", "ttft_p90_s", "ttft_p99_s", "tpot_p50_s", "tpot_p90_s", "tpot_p99_s", "e2e_p50_s", "e2e_p99_s",
      "kv_bytes_max_over_mean", "attention_max_over_mean", "weights_bytes_max", "kv_capacity_bytes_min",
      "peak_kv_bytes_max", "extra_copies", "cost_over_bound", "peak_running_requests", "steps", "simulated_s"};
  return columns;
}

nlohmann::json point_record(const SweepPoint& point, const nlohmann::json& s, const std::vector<std::string>& extra) {
  nlohmann::json m;
  m["completed"] = s["requests"]["completed"];
  m["rejected"] = s["requests"]["rejected"];
  m["output_tokens_per_s"] = s["throughput"]["output_tokens_per_s"];
  m["requests_per_s"] = s["throughput"]["requests_per_s"];
  m["decode_only_tokens_per_s"] = s["throughput"]["decode_only_tokens_per_s"];
  for (const char* what : {"ttft", "tpot", "e2e"})
    for (const char* q : {"p50", "p90", "p99"}) {
      const std::string key = std::string(what) + "_" + q + "_s";
      if (std::find(metric_columns().begin(), metric_columns().end(), key) != metric_columns().end())
        m[key] = s["latency_s"][what][q];
    }
  m["kv_bytes_max_over_mean"] = s["imbalance"]["kv_bytes_max_over_mean"];
  m["attention_max_over_mean"] = s["imbalance"]["attention_max_over_mean"];
  std::int64_t weights_max = 0, capacity_min = -1, peak_max = 0;
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& g : s["gpus"]) {
    weights_max = std::max(weights_max, g["weights_bytes"].get<std::int64_t>());
    peak_max = std::max(peak_max, g["peak_kv_bytes"].get<std::int64_t>());
    const auto cap = g["kv_capacity_bytes"].get<std::int64_t>();
    capacity_min = capacity_min < 0 ? cap : std::min(capacity_min, cap);
    gpus.push_back({{"weights_bytes", g["weights_bytes"]}, {"kv_capacity_bytes", g["kv_capacity_bytes"]},
                    {"peak_kv_bytes", g["peak_kv_bytes"]}, {"attention_s", g["attention_s"]}});
  }
  m["weights_bytes_max"] = weights_max;
  m["kv_capacity_bytes_min"] = capacity_min;
  m["peak_kv_bytes_max"] = peak_max;
  m["extra_copies"] = at_or_null(s, "/placement/extra_copies");
  m["cost_over_bound"] = at_or_null(s, "/placement_quality/cost_over_bound");
  m["peak_running_requests"] = s["peak_running_requests"];
  m["steps"] = s["steps"];
  m["simulated_s"] = s["simulated_s"];
  nlohmann::json record = base_record(point);
  record["status"] = "ok";
  record["metrics"] = m;
  nlohmann::json x = nlohmann::json::object();
  for (const std::string& p : extra) x[p] = at_or_null(s, p);
  record["extra"] = x;
  record["gpus"] = gpus;
  record["wall_s"] = s["wall_s"];
  return record;
}

nlohmann::json failed_point_record(const SweepPoint& point, const std::string& error) {
  nlohmann::json record = base_record(point);
  record["status"] = "error";
  record["error"] = error;
  return record;
}

std::filesystem::path point_path(const std::filesystem::path& dir, const SweepPoint& point) {
  return dir / "points" / (point.id + ".json");
}

std::optional<nlohmann::json> read_point(const std::filesystem::path& dir, const SweepPoint& point) {
  std::ifstream in(point_path(dir, point), std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json record = nlohmann::json::parse(text.str(), nullptr, false);
  if (record.is_discarded() || !record.is_object() || record.value("id", "") != point.id || !record.contains("status"))
    return std::nullopt;
  return record;
}

void write_point(const std::filesystem::path& dir, const nlohmann::json& record) {
  write_file_atomically(dir / "points" / (record["id"].get<std::string>() + ".json"), record.dump(1) + "\n");
}

}  // namespace kvsim::sweep
