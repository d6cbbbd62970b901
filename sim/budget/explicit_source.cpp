// See explicit_source.h.
#include "sim/budget/explicit_source.h"

#include <algorithm>

#include "sim/budget/head_profiles.h"

namespace kvsim {
namespace {

std::string model_shape(const ModelSpec& model) {
  return "model " + model.name + ": " + std::to_string(model.layers) + " layers x " + std::to_string(model.kv_heads) +
         " kv heads";
}

// An array of model.layers arrays of model.kv_heads integers (budgets) or numbers (growth).
template <typename T>
std::vector<T> read_head_array(const JsonReader& r, const ModelSpec& model, double min, double max, bool integers,
                               std::string_view what) {
  r.expect_array();
  if (static_cast<int>(r.size()) != model.layers)
    r.fail_here(std::string(what) + " for " + model_shape(model) + ", one row per layer",
                JsonReader::describe(r.json()));
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(model.layers) * model.kv_heads);
  for (int l = 0; l < model.layers; ++l) {
    const JsonReader row = r.at(static_cast<std::size_t>(l));
    row.expect_array();
    if (static_cast<int>(row.size()) != model.kv_heads)
      row.fail_here(std::to_string(model.kv_heads) + " values (one per kv head of " + model_shape(model) + ")",
                    JsonReader::describe(row.json()));
    for (int h = 0; h < model.kv_heads; ++h) {
      const JsonReader v = row.at(static_cast<std::size_t>(h));
      out.push_back(integers ? static_cast<T>(v.as_integer(static_cast<std::int64_t>(min), static_cast<std::int64_t>(max)))
                             : static_cast<T>(v.as_number(min, max)));
    }
  }
  return out;
}

// The optional "growth" of `r`: one number for every head or an array like the budgets.
std::vector<float> read_growth(const JsonReader& r, const ModelSpec& model) {
  const std::size_t count = static_cast<std::size_t>(model.layers) * model.kv_heads;
  if (!r.has("growth")) return std::vector<float>(count, 1.0f);
  if (r.at("growth").json().is_number()) return std::vector<float>(count, static_cast<float>(r.number("growth", 0.0, 1.0)));
  return read_head_array<float>(r.at("growth"), model, 0.0, 1.0, false, "growth per decode step");
}

}  // namespace

ExplicitSource::ExplicitSource(const ModelSpec& model, ExplicitParams params)
    : layers_(model.layers), kv_heads_(model.kv_heads), params_(std::move(params)) {}

void ExplicitSource::budgets(const RequestShape& request, HeadBudgets& out) const {
  out.resize(layers_, kv_heads_);
  const int prompt = std::max(0, request.prompt_tokens);
  for (std::size_t i = 0; i < out.kept.size(); ++i) out.kept[i] = std::min(params_.budgets[i], prompt);
  std::copy(params_.growth.begin(), params_.growth.end(), out.growth.begin());
}

std::unique_ptr<BudgetSource> parse_explicit_source(const JsonReader& policy, const ModelSpec& model,
                                                    const std::filesystem::path& base_dir) {
  policy.reject_unknown_keys({"kind", "file", "budgets", "growth"});
  ExplicitParams p;
  const bool has_file = policy.has("file"), has_inline = policy.has("budgets");
  if (has_file == has_inline)
    policy.fail(has_file ? "budgets" : "file", "exactly one of \"file\" and \"budgets\"", has_file ? "both" : "neither");
  if (has_inline) {
    p.budgets = read_head_array<std::int32_t>(policy.at("budgets"), model, 0, 1 << 30, true, "budgets");
    p.growth = read_growth(policy, model);
    p.label = "the scenario";
    return std::make_unique<ExplicitSource>(model, std::move(p));
  }
  const std::filesystem::path path = policy_data_file(policy, "file", base_dir);
  const nlohmann::json doc = read_json_file(path.string());
  const JsonReader root(doc, path.string(), "");
  if (doc.is_array()) {
    p.budgets = read_head_array<std::int32_t>(root, model, 0, 1 << 30, true, "budgets");
    p.growth = read_growth(policy, model);
  } else {
    root.expect_object();
    root.reject_unknown_keys({"budgets", "growth"});
    p.budgets = read_head_array<std::int32_t>(root.at("budgets"), model, 0, 1 << 30, true, "budgets");
    if (root.has("growth") && policy.has("growth"))
      policy.fail("growth", "growth given once (" + path.filename().string() + " has it too)", "a second one here");
    p.growth = read_growth(root.has("growth") ? root : policy, model);
  }
  p.label = path.filename().string();
  return std::make_unique<ExplicitSource>(model, std::move(p));
}

}  // namespace kvsim
