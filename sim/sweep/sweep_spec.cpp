// See sweep_spec.h.
#include "sim/sweep/sweep_spec.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "sim/budget/budget_source.h"
#include "sim/placement/placement.h"
#include "sim/run/placement_search.h"
#include "sim/scenario/json_reader.h"
#include "sim/scenario/json_reader.h"

namespace kvsim::sweep {
namespace {

// One axis: a column and its options, each a label and the patches it applies.
struct Axis {
  std::string column = {};
  std::string pointer = {};  // grid axes only
  std::vector<std::pair<std::string, nlohmann::json>> options = {};  // label, {pointer: value}
};

std::string column_of(const std::string& pointer) {
  std::string c = pointer.size() > 1 && pointer[0] == '/' ? pointer.substr(1) : pointer;
  for (char& ch : c)
    if (ch == '/') ch = '.';
  return c;
}

Scenario read_base(const JsonReader& r, const std::filesystem::path& base_dir) {
  const nlohmann::json& b = r.json();
  if (b.is_string()) {
    const std::filesystem::path p = std::filesystem::path(b.get<std::string>());
    return load_scenario((p.is_absolute() ? p : base_dir / p).lexically_normal().string());
  }
  if (!b.is_object()) r.fail_here("a scenario file name or an inline scenario object", JsonReader::describe(b));
  return parse_scenario(b, r.file() + " (inline base)", base_dir);
}

std::vector<Axis> read_axes(const JsonReader& r, const Scenario& base, const std::vector<std::string>& grid_order) {
  std::vector<Axis> axes = {};
  if (!base.variants.empty()) {
    Axis a{.column = "variant"};
    for (const Variant& v : base.variants) a.options.emplace_back(v.name, v.set);
    axes.push_back(std::move(a));
  }
  if (auto points = r.find("points")) {
    points->expect_array();
    if (points->size() == 0) points->fail_here("at least one point", "an empty array");
    Axis a{.column = "point"};
    std::set<std::string> names;
    for (std::size_t i = 0; i < points->size(); ++i) {
      const JsonReader p = points->at(i);
      p.expect_object();
      p.reject_unknown_keys({"name", "set"});
      const JsonReader set = p.at("set");
      set.expect_object();
      const std::string name = p.string_or("name", "p" + std::to_string(i));
      if (!names.insert(name).second) p.fail("name", "a name not used by another point", "\"" + name + "\"");
      a.options.emplace_back(name, set.json());
    }
    axes.push_back(std::move(a));
  }
  if (auto grid = r.find("grid")) {
    grid->expect_object();
    if (grid->json().empty()) grid->fail_here("at least one pointer with its values", "an empty object");
    std::vector<std::string> keys;
    for (const std::string& k : grid_order)
      if (grid->json().contains(k)) keys.push_back(k);
    for (auto it = grid->json().begin(); it != grid->json().end(); ++it)
      if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) keys.push_back(it.key());
    for (const std::string& key : keys) {
      const JsonReader values = grid->at(key);
      if (key.empty() || key[0] != '/') grid->fail(key, "a JSON pointer such as \"/kv_policy/budget\" as the key", "\"" + key + "\"");
      values.expect_array();
      if (values.size() == 0) values.fail_here("at least one value", "an empty array");
      Axis a{.column = column_of(key), .pointer = key};
      std::set<std::string> labels;
      for (std::size_t i = 0; i < values.size(); ++i) {
        const nlohmann::json& v = values.json()[i];
        std::string label = value_label(v);
        if (!labels.insert(label).second) values.at(i).fail_here("a value not listed twice on this axis", JsonReader::describe(v));
        a.options.emplace_back(std::move(label), nlohmann::json{{key, v}});
      }
      axes.push_back(std::move(a));
    }
  }
  if (!r.has("grid") && !r.has("points")) r.fail_here("a \"grid\" or a \"points\" list", "neither");
  return axes;
}

}  // namespace

std::string stable_hash(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string value_label(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean() || v.is_null()) return v.dump();
  if (v.is_object() && v.contains("kind") && v["kind"].is_string()) {
    std::string s = v["kind"].get<std::string>();
    for (auto it = v.begin(); it != v.end(); ++it)
      if (it.key() != "kind") s += " " + it.key() + "=" + (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
    return s;
  }
  return v.dump();
}

SweepSpec parse_sweep(const nlohmann::json& root, const std::string& file, const std::filesystem::path& base_dir,
                      const std::vector<std::string>& grid_order) {
  const JsonReader r(root, file, "");
  r.expect_object();
  r.reject_unknown_keys({"schema_version", "base", "grid", "points", "metrics"});
  const auto version = r.integer("schema_version", 0, 1'000'000);
  if (version != kSweepSchemaVersion) r.fail("schema_version", std::to_string(kSweepSchemaVersion), std::to_string(version));

  SweepSpec spec{.file = file, .base = read_base(r.at("base"), base_dir)};
  if (auto metrics = r.find("metrics")) {
    metrics->expect_array();
    for (std::size_t i = 0; i < metrics->size(); ++i) {
      const nlohmann::json& m = metrics->json()[i];
      bool ok = m.is_string();
      if (ok) try {
          (void)nlohmann::json::json_pointer(m.get<std::string>());
        } catch (const nlohmann::json::exception&) {
          ok = false;
        }
      if (!ok) metrics->at(i).fail_here("a JSON pointer into summary.json such as \"/steps\"", JsonReader::describe(m));
      spec.metrics.push_back(m.get<std::string>());
    }
  }
  const std::vector<Axis> axes = read_axes(r, spec.base, grid_order);
  for (const Axis& a : axes) {
    spec.axes.push_back(a.column);
    spec.axis_pointers.push_back(a.pointer);
  }

  nlohmann::json base_doc = spec.base.source;
  base_doc.erase("variants");
  std::size_t total = 1;
  for (const Axis& a : axes) total *= a.options.size();
  if (total > 10'000'000) r.fail_here("at most 10,000,000 points", std::to_string(total));
  std::vector<std::size_t> digit(axes.size(), 0);
  std::set<std::string> seen;
  for (std::size_t index = 0; index < total; ++index) {
    // Mixed-radix counter over the axes, last axis fastest.
    std::size_t rest = index;
    for (std::size_t a = axes.size(); a-- > 0;) {
      digit[a] = rest % axes[a].options.size();
      rest /= axes[a].options.size();
    }
    SweepPoint p{.index = index, .set = nlohmann::json::object(), .scenario = base_doc};
    for (std::size_t a = 0; a < axes.size(); ++a) {
      const auto& [label, patch] = axes[a].options[digit[a]];
      p.labels.push_back(label);
      p.name += (p.name.empty() ? "" : ",") + axes[a].column + "=" + label;
      // Where a bad patch is reported: the variant or point by name, or the grid key.
      const bool variant = axes[a].column == "variant";
      for (auto it = patch.begin(); it != patch.end(); ++it) {
        const std::string at = variant ? "/variants (\"" + label + "\")"
                               : axes[a].column == "point" ? "/points (\"" + label + "\")"
                                                           : "/grid/" + json_pointer_escape(it.key());
        set_by_pointer(p.scenario, it.key(), it.value(), variant ? spec.base.file : file, at);
        p.set[it.key()] = it.value();
      }
    }
    p.id = stable_hash(p.scenario.dump());
    if (!seen.insert(p.id).second)
      r.fail_here("points that differ from each other", "two points with the same scenario (" + p.name + ")");
    spec.points.push_back(std::move(p));
  }
  return spec;
}

SweepSpec load_sweep(const std::string& path) {
  const nlohmann::json root = read_json_file(path);
  // nlohmann::json sorts object keys; read the grid's key order from the file text.
  std::vector<std::string> order = {};
  {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const auto ordered = nlohmann::ordered_json::parse(text.str(), nullptr, false);
    if (ordered.is_object() && ordered.contains("grid") && ordered["grid"].is_object())
      for (auto it = ordered["grid"].begin(); it != ordered["grid"].end(); ++it) order.push_back(it.key());
  }
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  return parse_sweep(root, path, dir.empty() ? std::filesystem::path(".") : dir, order);
}

Scenario point_scenario(const SweepSpec& spec, const SweepPoint& point) {
  Scenario s = parse_scenario(point.scenario, spec.file + " (point " + point.name + ")", spec.base.base_dir);
  s.name = spec.base.name + "/" + point.name;
  return s;
}

void validate_points(const SweepSpec& spec) {
  std::set<std::string> budgets_seen, placements_seen;
  for (const SweepPoint& point : spec.points) {
    const Scenario s = point_scenario(spec, point);
    const std::string file = spec.file + " (point " + point.name + ")";
    const std::string model_key = s.model.name + "/" + std::to_string(s.model.layers) + "/" + std::to_string(s.model.kv_heads);
    if (budgets_seen.insert(s.kv_policy.dump() + model_key).second)
      (void)make_budget_source(s.kv_policy, s.model, s.seed, file, "/kv_policy", s.base_dir);
    // A placement is checked on the real shape with even loads and no memory limit: its options are
    // validated there, and the search is quick on even loads.
    if (placements_seen.insert(s.placement.dump() + model_key + "/" + std::to_string(s.gpus)).second) {
      const PlacementRequest req{.model = &s.model, .gpus = s.gpus,
                                 .head_load = std::vector<double>(static_cast<std::size_t>(s.model.layers) * s.model.kv_heads, 1.0)};
      if (is_placement_search(s.placement))  // cost_search takes no options; it runs its candidates later
        JsonReader(s.placement, file, "/placement").reject_unknown_keys({"kind"});
      else
        (void)make_placement(s.placement, req, file, "/placement");
    }
  }
}

}  // namespace kvsim::sweep
