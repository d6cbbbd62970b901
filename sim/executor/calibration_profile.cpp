// See calibration_profile.h.
#include "sim/executor/calibration_profile.h"

#include "sim/scenario/json_reader.h"

namespace kvsim {
namespace {

Roofline read_roofline(const JsonReader& r) {
  r.expect_object();
  r.reject_unknown_keys({"overhead_s", "bytes_per_s", "flops_per_s"});
  return {.overhead_s = r.number("overhead_s", 0, 1e3), .bytes_per_s = r.number("bytes_per_s", 0, 1e18),
          .flops_per_s = r.number("flops_per_s", 0, 1e21)};
}

LooStats read_loo(const JsonReader& r) {
  r.expect_object();
  return {.median = r.number("median", 0, 1e9), .p90 = r.number("p90", 0, 1e9), .max = r.number("max", 0, 1e9),
          .points = static_cast<int>(r.integer("points", 0, 1 << 30))};
}

std::vector<double> read_positive_array(const JsonReader& r, bool ascending) {
  r.expect_array();
  std::vector<double> v;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double x = r.at(i).as_number(1e-300, 1e300);
    if (ascending && !v.empty() && !(x > v.back()))
      r.at(i).fail_here("a value larger than the one before it (axes ascend)", JsonReader::describe(r.at(i).json()));
    v.push_back(x);
  }
  if (v.empty()) r.fail_here("at least one value", "an empty array");
  return v;
}

Series read_series(const JsonReader& r, const OpSchema& schema) {
  r.expect_object();
  r.reject_unknown_keys({"key", "axes", "seconds"});
  Series s;
  const JsonReader key = r.at("key");
  key.expect_object();
  for (std::string_view k : schema.key) s.key.push_back(key.number(k, 1e-300, 1e300));
  const JsonReader axes = r.at("axes");
  axes.expect_object();
  std::size_t cells = 1;
  for (std::string_view a : schema.axes) {
    s.axes.push_back(read_positive_array(axes.at(a), true));
    cells *= s.axes.back().size();
  }
  s.seconds = read_positive_array(r.at("seconds"), false);
  if (s.seconds.size() != cells)
    r.at("seconds").fail_here(std::to_string(cells) + " values (the product of the axis sizes)",
                              std::to_string(s.seconds.size()) + " values");
  return s;
}

}  // namespace

CalibrationProfile parse_profile(const nlohmann::json& doc, const std::string& file) {
  const JsonReader root(doc, file, "");
  root.expect_object();
  if (root.string("schema") != kProfileSchema)
    root.fail("schema", std::string("\"") + kProfileSchema + "\"", JsonReader::describe(doc.at("schema")));
  const std::int64_t version = root.integer("version", 0, 1 << 20);
  if (version != kProfileVersion)
    root.fail("version", "profile version " + std::to_string(kProfileVersion) + " (re-run kvsim-fit)",
              "version " + std::to_string(version));
  CalibrationProfile p;
  p.file = file;
  const JsonReader env = root.at("environment");
  env.expect_object();
  for (const char* k : {"gpu_name", "driver", "cuda", "nccl", "date", "commit"}) (void)env.string(k);
  (void)env.integer("gpu_count", 1, 1 << 16);
  p.environment = env.json();

  const JsonReader ops = root.at("ops");
  ops.expect_object();
  for (const auto& [name, value] : ops.json().items()) {
    const OpSchema* schema = find_op_schema(name);
    if (schema == nullptr) {
      std::string names;
      for (const OpSchema& s : op_schemas()) names += (names.empty() ? "" : ", ") + std::string(s.name);
      ops.fail(name, "an op name (" + names + ")", "\"" + name + "\"");
    }
    const JsonReader r = ops.at(name);
    r.expect_object();
    r.reject_unknown_keys({"roofline", "loo", "series", "checks"});
    OpProfile op;
    op.roofline = read_roofline(r.at("roofline"));
    op.loo = read_loo(r.at("loo"));
    const JsonReader series = r.at("series");
    series.expect_array();
    if (series.size() == 0) series.fail_here("at least one measured series", "an empty array");
    for (std::size_t i = 0; i < series.size(); ++i) op.series.push_back(read_series(series.at(i), *schema));
    if (r.has("checks")) op.checks = r.at("checks").json();
    p.op(schema->op) = std::move(op);
  }
  for (const OpSchema& s : op_schemas())
    if (s.required && !p.op(s.op)) ops.fail(s.name, "measurements of op \"" + std::string(s.name) + "\"", "nothing");
  if (const auto issue = root.find("collective_issue")) {
    issue->expect_object();
    issue->reject_unknown_keys({"per_gpu_s", "per_gpu_channel_s", "fit"});
    p.collective_issue = CollectiveIssue{.per_gpu_s = issue->number("per_gpu_s", 0, 1),
                                         .per_gpu_channel_s = issue->number("per_gpu_channel_s", 0, 1)};
    if (issue->has("fit")) p.collective_issue_fit = issue->at("fit").json();
  }
  return p;
}

CalibrationProfile load_profile(const std::string& path) { return parse_profile(read_json_file(path), path); }

nlohmann::json profile_to_json(const CalibrationProfile& p) {
  nlohmann::json ops = nlohmann::json::object();
  for (const OpSchema& schema : op_schemas()) {
    const auto& op = p.op(schema.op);
    if (!op) continue;
    nlohmann::json series = nlohmann::json::array();
    for (const Series& s : op->series) {
      nlohmann::json key = nlohmann::json::object(), axes = nlohmann::json::object();
      for (std::size_t i = 0; i < schema.key.size(); ++i) key[std::string(schema.key[i])] = s.key[i];
      for (std::size_t i = 0; i < schema.axes.size(); ++i) axes[std::string(schema.axes[i])] = s.axes[i];
      series.push_back({{"key", key}, {"axes", axes}, {"seconds", s.seconds}});
    }
    ops[std::string(schema.name)] = {
        {"roofline", {{"overhead_s", op->roofline.overhead_s}, {"bytes_per_s", op->roofline.bytes_per_s},
                      {"flops_per_s", op->roofline.flops_per_s}}},
        {"loo", {{"median", op->loo.median}, {"p90", op->loo.p90}, {"max", op->loo.max}, {"points", op->loo.points}}},
        {"checks", op->checks},
        {"series", series}};
  }
  nlohmann::json out = {{"schema", kProfileSchema}, {"version", kProfileVersion}, {"environment", p.environment},
                        {"ops", ops}};
  if (p.collective_issue)
    out["collective_issue"] = {{"per_gpu_s", p.collective_issue->per_gpu_s},
                               {"per_gpu_channel_s", p.collective_issue->per_gpu_channel_s},
                               {"fit", p.collective_issue_fit}};
  return out;
}

}  // namespace kvsim
