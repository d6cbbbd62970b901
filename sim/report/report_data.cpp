// See report_data.h.
#include "sim/report/report_data.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "sim/core/input_error.h"
#include "sim/scenario/json_reader.h"

namespace kvsim::report {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Splits one CSV line (fields may be quoted, with "" for a quote).
std::vector<std::string> csv_split(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else out.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

nlohmann::json compact_placement(const nlohmann::json& p) {
  if (!p.is_object() || !p.contains("layer_gpu_heads")) return nullptr;
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& layer : p["layer_gpu_heads"]) {
    nlohmann::json row = nlohmann::json::array();
    for (const auto& gpu : layer) {
      nlohmann::json heads = nlohmann::json::array();
      for (const auto& h : gpu) heads.push_back({h["head"], h["share"]});
      row.push_back(heads);
    }
    cells.push_back(row);
  }
  return {{"kind", p.value("kind", "")}, {"layers", p.value("layers", 0)}, {"kv_heads", p.value("kv_heads", 0)},
          {"gpus", p.value("gpus", 0)}, {"extra_copies", p.value("extra_copies", 0)}, {"cells", cells}};
}

nlohmann::json run_entry(const std::string& name, const std::filesystem::path& dir) {
  const nlohmann::json s = read_json_file((dir / "summary.json").string());
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& g : s.value("gpus", nlohmann::json::array()))
    gpus.push_back({{"weights_bytes", g.value("weights_bytes", 0.0)}, {"kv_capacity_bytes", g.value("kv_capacity_bytes", 0.0)},
                    {"peak_kv_bytes", g.value("peak_kv_bytes", 0.0)}, {"attention_s", g.value("attention_s", 0.0)}});
  nlohmann::json run{{"name", name}, {"gpus", gpus}, {"gpu_count", gpus.size()},
                     {"attention", s.value("attention_s_per_layer_gpu", nlohmann::json())},
                     {"placement", compact_placement(s.value("placement", nlohmann::json()))},
                     {"latency_s", s.value("latency_s", nlohmann::json())},
                     {"throughput", s.value("throughput", nlohmann::json())},
                     {"imbalance", s.value("imbalance", nlohmann::json::object())},
                     {"requests", s.value("requests", nlohmann::json())}};
  const nlohmann::json& sc = s.value("scenario", nlohmann::json::object());
  std::string model;
  if (sc.contains("model") && sc["model"].is_string()) model = sc["model"].get<std::string>();
  else if (sc.contains("model") && sc["model"].is_object()) model = sc["model"].value("name", sc["model"].value("preset", "custom"));
  run["model"] = model;
  run["imbalance"].erase("attention_max_over_mean_per_layer");
  const auto csv = dir / "requests.csv";
  run["cdf"] = std::filesystem::exists(csv) ? request_latencies_cdf(slurp(csv)) : nlohmann::json();
  return run;
}

nlohmann::json sweep_entry(const std::filesystem::path& dir) {
  const nlohmann::json d = read_json_file((dir / "sweep.json").string());
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& p : d.value("points", nlohmann::json::array())) {
    const auto file = dir / "points" / (p.value("id", "") + ".json");
    if (!std::filesystem::exists(file)) continue;
    const nlohmann::json r = nlohmann::json::parse(slurp(file), nullptr, false);
    if (r.is_discarded() || r.value("id", "") != p.value("id", "")) continue;
    rows.push_back({{"index", p["index"]}, {"name", p["name"]}, {"labels", p["labels"]}, {"set", p["set"]},
                    {"status", r.value("status", "error")}, {"error", r.value("error", "")},
                    {"metrics", r.value("metrics", nlohmann::json::object())},
                    {"gpus", r.value("gpus", nlohmann::json::array())}});
  }
  return {{"axes", d.value("axes", nlohmann::json::array())},
          {"axis_pointers", d.value("axis_pointers", nlohmann::json::array())},
          {"total", d.value("points", nlohmann::json::array()).size()}, {"rows", rows}};
}

}  // namespace

nlohmann::json cdf_points(std::vector<double> v, std::size_t points) {
  nlohmann::json out = nlohmann::json::array();
  if (v.empty()) return out;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  const std::size_t k = std::min(points, n);
  for (std::size_t i = 0; i < k; ++i) {
    // Evenly spaced ranks, always including the first and last sample.
    const std::size_t rank = k == 1 ? n - 1 : i * (n - 1) / (k - 1);
    out.push_back({v[rank], static_cast<double>(rank + 1) / static_cast<double>(n)});
  }
  return out;
}

nlohmann::json request_latencies_cdf(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) return nullptr;
  const std::vector<std::string> header = csv_split(line);
  auto col = [&](const char* name) {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const int arrival = col("arrival_s"), first = col("first_token_s"), finish = col("finish_s"), out_tokens = col("output_tokens");
  if (arrival < 0 || first < 0 || finish < 0 || out_tokens < 0) return nullptr;
  std::vector<double> ttft, tpot, e2e;
  while (std::getline(in, line)) {
    const std::vector<std::string> f = csv_split(line);
    if (f.size() < header.size() || f[static_cast<std::size_t>(finish)].empty() || f[static_cast<std::size_t>(first)].empty()) continue;
    const double a = std::stod(f[static_cast<std::size_t>(arrival)]);
    const double t1 = std::stod(f[static_cast<std::size_t>(first)]);
    const double t2 = std::stod(f[static_cast<std::size_t>(finish)]);
    const double n = std::stod(f[static_cast<std::size_t>(out_tokens)]);
    ttft.push_back(t1 - a);
    e2e.push_back(t2 - a);
    if (n > 1) tpot.push_back((t2 - t1) / (n - 1));
  }
  return {{"ttft_s", cdf_points(ttft)}, {"tpot_s", cdf_points(tpot)}, {"e2e_s", cdf_points(e2e)}};
}

nlohmann::json gather_report_data(const std::filesystem::path& dir) {
  nlohmann::json data{{"title", std::filesystem::absolute(dir).lexically_normal().filename().string()},
                      {"runs", nlohmann::json::array()}, {"sweep", nullptr}, {"plan", nullptr}, {"validation", nullptr}};
  if (data["title"] == "") data["title"] = std::filesystem::absolute(dir).lexically_normal().parent_path().filename().string();
  bool found = false;
  if (std::filesystem::exists(dir / "summary.json")) {
    found = true;
    const nlohmann::json top = read_json_file((dir / "summary.json").string());
    std::vector<std::string> variants;
    if (top.contains("variants") && top["variants"].is_array())
      for (const auto& v : top["variants"])
        if (v.contains("name") && std::filesystem::exists(dir / v["name"].get<std::string>() / "summary.json"))
          variants.push_back(v["name"].get<std::string>());
    if (variants.empty()) data["runs"].push_back(run_entry(data["title"].get<std::string>(), dir));
    for (const std::string& v : variants) data["runs"].push_back(run_entry(v, dir / v));
  }
  if (std::filesystem::exists(dir / "sweep.json")) {
    found = true;
    data["sweep"] = sweep_entry(dir);
  }
  if (std::filesystem::exists(dir / "plan.json")) {
    found = true;
    data["plan"] = read_json_file((dir / "plan.json").string());
  }
  if (std::filesystem::exists(dir / "validation.json")) {
    found = true;
    data["validation"] = read_json_file((dir / "validation.json").string());
  }
  if (!found)
    throw InputError(dir.string(), "", "a folder of kvsim results (summary.json, sweep.json, plan.json or validation.json)",
                     std::filesystem::is_directory(dir) ? "none of them" : "no such folder");
  return data;
}

}  // namespace kvsim::report
