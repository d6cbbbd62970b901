// make_placement: reads the scenario's "placement" object (schema in placement.h and README.md),
// rejects unknown keys and bad values with InputError at the exact JSON pointer, and runs the kind.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "sim/core/input_error.h"
#include "sim/placement/placement_detail.h"

namespace kvsim {
namespace {

using placement_detail::Options;
using placement_detail::Problem;

struct Kind {
  const char* name;
  std::vector<std::string> keys;  // besides "kind"
};

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> table{
      {"tensor_parallel", {}},
      {"best_effort", {"equal_heads"}},
      {"fair_copying", {"equal_heads", "copy_budget", "max_copies_per_head", "head_weight_tokens"}},
      {"balanced_split", {"copy_budget", "max_copies_per_head", "head_weight_tokens"}},
  };
  return table;
}

std::string escape_pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

std::int64_t integer_at_least(const nlohmann::json& v, std::int64_t least, const std::string& file,
                              const std::string& pointer) {
  const std::string expected = "integer >= " + std::to_string(least);
  if (v.is_number_unsigned()) {
    if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw InputError(file, pointer, expected + " that fits in 64 bits", v.dump());
    return v.get<std::int64_t>();
  }
  if (!v.is_number_integer() || v.get<std::int64_t>() < least) throw InputError(file, pointer, expected, v.dump());
  return v.get<std::int64_t>();
}

void check_request(const PlacementRequest& r) {
  if (r.model == nullptr) throw std::invalid_argument("PlacementRequest: model is null");
  const ModelSpec& m = *r.model;
  if (m.layers < 1 || m.kv_heads < 1) throw std::invalid_argument("PlacementRequest: model " + m.name + " has no heads");
  if (r.gpus < 1) throw std::invalid_argument("PlacementRequest: gpus must be >= 1");
  if (r.head_load.size() != static_cast<std::size_t>(m.layers) * m.kv_heads)
    throw std::invalid_argument("PlacementRequest: head_load has " + std::to_string(r.head_load.size()) +
                                " values, expected layers * kv_heads = " +
                                std::to_string(static_cast<std::size_t>(m.layers) * m.kv_heads));
  for (double v : r.head_load)
    if (!std::isfinite(v) || v < 0) throw std::invalid_argument("PlacementRequest: head loads must be finite and >= 0");
  if (!std::isfinite(r.expected_concurrent_requests) || r.expected_concurrent_requests < 0)
    throw std::invalid_argument("PlacementRequest: expected_concurrent_requests must be finite and >= 0");
}

}  // namespace

std::vector<std::string> placement_kinds() {
  std::vector<std::string> names;
  for (const Kind& k : kinds()) names.push_back(k.name);
  return names;
}

Placement make_placement(const nlohmann::json& config, const PlacementRequest& request, const std::string& file,
                         const std::string& pointer) {
  if (!config.is_object()) throw InputError(file, pointer, "an object {\"kind\": ...}", config.dump());
  const auto kind_it = config.find("kind");
  if (kind_it == config.end())
    throw InputError(file, pointer + "/kind", "a placement kind (" + join(placement_kinds()) + ")", "nothing");
  const Kind* kind = nullptr;
  for (const Kind& k : kinds())
    if (kind_it->is_string() && kind_it->get<std::string>() == k.name) kind = &k;
  if (kind == nullptr)
    throw InputError(file, pointer + "/kind", "one of " + join(placement_kinds()), kind_it->dump());

  check_request(request);
  Options opt;
  opt.max_copies_per_head = request.gpus;
  opt.head_weight_tokens = auto_head_weight_tokens(*request.model, request.expected_concurrent_requests);
  for (const auto& [key, value] : config.items()) {
    if (key == "kind") continue;
    const std::string at = pointer + "/" + escape_pointer_token(key);
    if (std::find(kind->keys.begin(), kind->keys.end(), key) == kind->keys.end())
      throw InputError(file, at,
                       kind->keys.empty() ? std::string("no other key than kind for ") + kind->name
                                          : "one of kind, " + join(kind->keys) + " for " + kind->name,
                       "key \"" + key + "\"");
    if (key == "equal_heads") {
      if (!value.is_boolean()) throw InputError(file, at, "true or false", value.dump());
      opt.equal_heads = value.get<bool>();
    } else if (key == "copy_budget") {
      opt.copy_budget = integer_at_least(value, 0, file, at);
    } else if (key == "max_copies_per_head") {
      const std::int64_t n = integer_at_least(value, 1, file, at);
      opt.max_copies_per_head = static_cast<int>(std::min<std::int64_t>(n, request.gpus));
    } else if (key == "head_weight_tokens") {
      if (value.is_string() && value.get<std::string>() == "auto") continue;
      if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0)
        throw InputError(file, at, "a number >= 0 or \"auto\"", value.dump());
      opt.head_weight_tokens = value.get<double>();
    }
  }

  Problem problem{.model = request.model,
                  .gpus = request.gpus,
                  .head_load = &request.head_load,
                  .options = opt,
                  .concurrent_requests = request.expected_concurrent_requests};
  if (request.gpu_memory_bytes > 0) problem.memory_limit_bytes = static_cast<double>(request.gpu_memory_bytes);

  Placement out;
  const std::string name = kind->name;
  if (name == "tensor_parallel") out = placement_detail::tensor_parallel(problem, file, pointer);
  else if (name == "best_effort") out = placement_detail::best_effort(problem);
  else if (name == "fair_copying") out = placement_detail::fair_copying(problem);
  else out = placement_detail::balanced_split(problem);
  if (const std::string why = placement_problem(out); !why.empty())
    throw std::logic_error("placement " + name + " produced an invalid placement: " + why);
  return out;
}

}  // namespace kvsim
