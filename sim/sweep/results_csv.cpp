// See results_csv.h.
#include "sim/sweep/results_csv.h"

#include <charconv>

#include "sim/sweep/point_store.h"

namespace kvsim::sweep {
namespace {

std::string cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_number_float()) {
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, v.get<double>());
    return std::string(buf, res.ptr);
  }
  if (v.is_string()) return csv_field(v.get<std::string>());
  return csv_field(v.dump());
}

}  // namespace

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string make_results_csv(const SweepSpec& spec, const std::vector<nlohmann::json>& records) {
  std::string out = "index,id,name";
  for (const std::string& a : spec.axes) out += "," + csv_field(a);
  out += ",status";
  for (const std::string& m : metric_columns()) out += "," + m;
  for (const std::string& m : spec.metrics) out += "," + csv_field(m);
  out += ",error\n";
  for (std::size_t i = 0; i < spec.points.size(); ++i) {
    const nlohmann::json& r = records[i];
    if (r.is_null()) continue;
    const SweepPoint& p = spec.points[i];
    out += std::to_string(p.index) + "," + p.id + "," + csv_field(p.name);
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
      // A grid value keeps its JSON type (a number stays a number for pandas); others use their label.
      const std::string& pointer = spec.axis_pointers[a];
      nlohmann::json value = p.labels[a];
      if (!pointer.empty() && p.set.contains(pointer) && (p.set[pointer].is_number() || p.set[pointer].is_boolean()))
        value = p.set[pointer];
      out += "," + cell(value);
    }
    const bool ok = r.value("status", "") == "ok";
    out += "," + cell(r.value("status", "error"));
    for (const std::string& m : metric_columns())
      out += "," + (ok && r["metrics"].contains(m) ? cell(r["metrics"][m]) : std::string());
    for (const std::string& m : spec.metrics)
      out += "," + (ok && r.contains("extra") && r["extra"].contains(m) ? cell(r["extra"][m]) : std::string());
    out += "," + (ok ? std::string() : cell(r.value("error", "")));
    out += "\n";
  }
  return out;
}

}  // namespace kvsim::sweep
