// See head_profiles.h.
#include "sim/budget/head_profiles.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "sim/core/data_path.h"
#include "sim/core/input_error.h"

namespace kvsim {
namespace {

std::string shape_text(int layers, int heads) {
  return std::to_string(layers) + " layers x " + std::to_string(heads) + " heads";
}

// "13-7" -> (13, 7); false if the key is not two non-negative integers joined by '-'.
bool parse_layer_head(const std::string& key, int& layer, int& head) {
  const std::size_t dash = key.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == key.size()) return false;
  auto parse = [](std::string_view text, int& out) {
    if (text.size() > 6) return false;
    int v = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    out = v;
    return true;
  };
  return parse(std::string_view(key).substr(0, dash), layer) && parse(std::string_view(key).substr(dash + 1), head);
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace

std::string_view group_reduce_name(GroupReduce reduce) { return reduce == GroupReduce::max ? "max" : "mean"; }

GroupReduce read_group_reduce(const JsonReader& policy, GroupReduce fallback) {
  const std::string s = policy.choice_or("group_reduce", std::string(group_reduce_name(fallback)), {"max", "mean"});
  return s == "max" ? GroupReduce::max : GroupReduce::mean;
}

HeadGrid read_number_grid(const JsonReader& array, double min, double max) {
  array.expect_array();
  HeadGrid grid;
  grid.layers = static_cast<int>(array.size());
  if (grid.layers == 0) array.fail_here("a non-empty array of rows (one per layer)", "an empty array");
  for (int l = 0; l < grid.layers; ++l) {
    const JsonReader row = array.at(static_cast<std::size_t>(l));
    row.expect_array();
    const int n = static_cast<int>(row.size());
    if (l == 0) {
      if (n == 0) row.fail_here("a non-empty row (one value per head)", "an empty array");
      grid.heads = n;
      grid.values.reserve(static_cast<std::size_t>(grid.layers) * n);
    } else if (n != grid.heads) {
      row.fail_here(std::to_string(grid.heads) + " values like row 0", JsonReader::describe(row.json()));
    }
    for (int h = 0; h < n; ++h) grid.values.push_back(row.at(static_cast<std::size_t>(h)).as_number(min, max));
  }
  return grid;
}

HeadGrid read_headkv_scores(const std::filesystem::path& file) {
  const std::string path = file.string();
  const nlohmann::json doc = read_json_file(path);
  const JsonReader root(doc, path, "");
  root.expect_object();
  if (doc.empty()) root.fail_here("an object with one \"layer-head\" key per head", "an empty object");
  int layers = 0, heads = 0;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    int l = 0, h = 0;
    if (!parse_layer_head(it.key(), l, h))
      root.fail(it.key(), "keys of the form \"layer-head\" such as \"13-7\"", "the key \"" + it.key() + "\"");
    layers = std::max(layers, l + 1);
    heads = std::max(heads, h + 1);
  }
  HeadGrid grid{.layers = layers, .heads = heads, .values = {}};
  grid.values.assign(static_cast<std::size_t>(layers) * heads, std::numeric_limits<double>::quiet_NaN());
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    int l = 0, h = 0;
    parse_layer_head(it.key(), l, h);
    const JsonReader list = root.at(it.key());
    list.expect_array();
    if (list.size() == 0) list.fail_here("a non-empty list of scores", "an empty array");
    double sum = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const nlohmann::json& v = it.value()[i];
      const double x = v.is_number() ? v.get<double>() : -1.0;
      if (!(x >= 0 && x <= 1e300)) list.at(i).as_number(0.0, 1e300);  // throws with the element's pointer
      sum += x;
    }
    grid.values[static_cast<std::size_t>(l) * heads + h] = sum / static_cast<double>(list.size());  // HeadKV: np.mean
  }
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h)
      if (std::isnan(grid.at(l, h))) {
        const std::string key = std::to_string(l) + "-" + std::to_string(h);
        throw InputError(path, "/" + key,
                         "a score list for every layer and head of a " + shape_text(layers, heads) + " grid",
                         "nothing");
      }
  return grid;
}

HeadGrid read_duoattention_gates(const std::filesystem::path& file) {
  const std::string path = file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(path, "", "a readable TSV file", "no such file or no permission");
  HeadGrid grid;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;  // blank lines (a trailing newline) are not rows
    std::vector<double> row;
    std::size_t start = 0;
    for (int column = 1;; ++column) {
      const std::size_t tab = line.find('\t', start);
      const std::string field = trim(std::string_view(line).substr(start, tab == std::string::npos ? std::string::npos
                                                                                                   : tab - start));
      const std::string where = "line " + std::to_string(line_no) + ", column " + std::to_string(column);
      char* end = nullptr;
      errno = 0;
      const double v = field.empty() ? 0.0 : std::strtod(field.c_str(), &end);
      if (field.empty() || end != field.c_str() + field.size() || errno == ERANGE || !std::isfinite(v))
        throw InputError(path, where, "a number (a gate in [0, 1])", "\"" + field + "\"");
      row.push_back(std::clamp(v, 0.0, 1.0));  // DuoAttention clips the learned gates to [0, 1]
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (grid.layers == 0) {
      grid.heads = static_cast<int>(row.size());
    } else if (static_cast<int>(row.size()) != grid.heads) {
      throw InputError(path, "line " + std::to_string(line_no),
                       std::to_string(grid.heads) + " tab-separated gates like the first row",
                       std::to_string(row.size()));
    }
    grid.values.insert(grid.values.end(), row.begin(), row.end());
    ++grid.layers;
  }
  if (grid.layers == 0) throw InputError(path, "line 1", "one row of tab-separated gates per layer", "no rows");
  return grid;
}

MoaAlphaBeta read_moa_alpha_beta(const std::filesystem::path& file) {
  const std::string path = file.string();
  const nlohmann::json doc = read_json_file(path);
  const JsonReader root(doc, path, "");
  root.expect_object();
  constexpr double kBig = 1e9;
  MoaAlphaBeta ab{.alphas = read_number_grid(root.at("alphas"), -kBig, kBig),
                  .betas = read_number_grid(root.at("betas"), -kBig, kBig)};
  if (ab.alphas.layers != ab.betas.layers || ab.alphas.heads != ab.betas.heads)
    throw InputError(path, "/betas", "the shape of /alphas (" + shape_text(ab.alphas.layers, ab.alphas.heads) + ")",
                     shape_text(ab.betas.layers, ab.betas.heads));
  return ab;
}

void check_head_shape(const HeadGrid& grid, const ModelSpec& model, const std::string& file,
                      const std::string& where, std::string_view what) {
  if (grid.layers == model.layers && (grid.heads == model.q_heads || grid.heads == model.kv_heads)) return;
  std::string expected = std::string(what) + " for model " + (model.name.empty() ? std::string("?") : model.name) +
                         ": " + std::to_string(model.layers) + " layers x " + std::to_string(model.kv_heads) +
                         " kv heads";
  if (model.q_heads != model.kv_heads) expected += " or " + std::to_string(model.q_heads) + " q heads";
  throw InputError(file, where, expected, shape_text(grid.layers, grid.heads));
}

HeadGrid reduce_to_kv_heads(const HeadGrid& grid, const ModelSpec& model, GroupReduce reduce) {
  if (grid.heads == model.kv_heads) return grid;
  const int g = model.group_size();
  HeadGrid out{.layers = grid.layers, .heads = model.kv_heads, .values = {}};
  out.values.resize(static_cast<std::size_t>(out.layers) * out.heads);
  for (int l = 0; l < grid.layers; ++l)
    for (int kv = 0; kv < model.kv_heads; ++kv) {
      double acc = reduce == GroupReduce::max ? -std::numeric_limits<double>::infinity() : 0.0;
      for (int q = kv * g; q < (kv + 1) * g; ++q)
        acc = reduce == GroupReduce::max ? std::max(acc, grid.at(l, q)) : acc + grid.at(l, q);
      out.values[static_cast<std::size_t>(l) * out.heads + kv] = reduce == GroupReduce::max ? acc : acc / g;
    }
  return out;
}

std::filesystem::path policy_data_file(const JsonReader& policy, std::string_view key,
                                       const std::filesystem::path& base_dir) {
  const std::string reference = policy.string(key);
  const std::filesystem::path path = resolve_data_path(reference, base_dir);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    policy.fail(key, "an existing data file", "\"" + reference + "\" (no file at " + path.string() + ")");
  return path;
}

}  // namespace kvsim
