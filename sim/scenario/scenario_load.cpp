// Loading scenarios: from a file, the built-in default, and variants (JSON-pointer patches).
#include <filesystem>

#include "sim/scenario/json_reader.h"
#include "sim/scenario/scenario.h"

namespace kvsim {

void set_by_pointer(nlohmann::json& doc, const std::string& pointer, const nlohmann::json& value,
                    const std::string& file, const std::string& where) {
  nlohmann::json::json_pointer ptr;
  try {
    ptr = nlohmann::json::json_pointer(pointer);
  } catch (const nlohmann::json::exception&) {
    throw InputError(file, where, "a JSON pointer such as \"/placement/kind\"", "\"" + pointer + "\"");
  }
  if (ptr.empty()) throw InputError(file, where, "a pointer below the root", "\"\"");
  const nlohmann::json::json_pointer parent = ptr.parent_pointer();
  if (!doc.contains(parent) || !doc.at(parent).is_object())
    throw InputError(file, where, "a pointer whose parent object exists in the scenario", "\"" + pointer + "\"");
  doc[ptr] = value;
}

Scenario load_scenario(const std::string& path) {
  const nlohmann::json root = read_json_file(path);
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  return parse_scenario(root, path, base.empty() ? std::filesystem::path(".") : base);
}

Scenario default_scenario() {
  return parse_scenario(default_scenario_json(), "<built-in default>", std::filesystem::current_path());
}

Scenario apply_variant(const Scenario& base, const Variant& variant) {
  nlohmann::json doc = base.source;
  doc.erase("variants");
  const std::string where = "/variants (\"" + variant.name + "\")";
  for (auto it = variant.set.begin(); it != variant.set.end(); ++it)
    set_by_pointer(doc, it.key(), it.value(), base.file, where);
  Scenario s = parse_scenario(doc, base.file + " (variant " + variant.name + ")", base.base_dir);
  s.name = base.name + "/" + variant.name;
  return s;
}

}  // namespace kvsim
