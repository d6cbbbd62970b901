// Placement: request-to-copy routing, weight accounting, JSON, cost and evaluation helpers
// (see placement.h for the units and the conventions).
#include "sim/placement/placement.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace kvsim {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

void require_model_matches(const Placement& p, const ModelSpec& m) {
  if (p.layers != m.layers || p.kv_heads != m.kv_heads)
    throw std::invalid_argument("placement of " + std::to_string(p.layers) + "x" + std::to_string(p.kv_heads) +
                                " heads used with model " + m.name);
}

void require_loads(const Placement& p, std::size_t n) {
  if (n != static_cast<std::size_t>(p.layers) * p.kv_heads)
    throw std::invalid_argument("head loads: " + std::to_string(n) + " values for a placement of " +
                                std::to_string(p.layers) + "x" + std::to_string(p.kv_heads) + " heads");
}

}  // namespace

int Placement::copy_for_request(int layer, int head, std::int64_t request_index) const {
  const std::vector<HeadCopy>& c = head_copies(layer, head);
  if (c.size() == 1) return 0;
  // Weyl sequence: n * 2^64/phi mod 2^64, offset per head so heads do not move in lockstep.
  const std::uint64_t offset = splitmix64(static_cast<std::uint64_t>(layer) * kv_heads + head);
  const std::uint64_t x = static_cast<std::uint64_t>(request_index) * 0x9E3779B97F4A7C15ULL + offset;
  const double u = static_cast<double>(x >> 11) * 0x1.0p-53;
  double cumulative = 0;
  for (std::size_t i = 0; i + 1 < c.size(); ++i) {
    cumulative += c[i].share;
    if (u < cumulative) return static_cast<int>(i);
  }
  return static_cast<int>(c.size() - 1);
}

int Placement::extra_copies() const {
  int n = 0;
  for (const auto& c : copies) n += static_cast<int>(c.size()) - 1;
  return n;
}

std::vector<int> Placement::copies_per_gpu() const {
  std::vector<int> n(gpus, 0);
  for (const auto& c : copies)
    for (const HeadCopy& hc : c) ++n[hc.gpu];
  return n;
}

std::vector<std::int64_t> Placement::weight_bytes_per_gpu(const ModelSpec& model) const {
  require_model_matches(*this, model);
  const std::int64_t attention = model.attention_weight_bytes_per_kv_head();
  const std::int64_t rest =
      model.total_weight_bytes() - static_cast<std::int64_t>(model.layers) * model.kv_heads * attention;
  std::vector<std::int64_t> bytes(gpus);
  for (int g = 0; g < gpus; ++g) bytes[g] = rest / gpus + (g < rest % gpus ? 1 : 0);
  for (const auto& c : copies)
    for (const HeadCopy& hc : c) bytes[hc.gpu] += attention;
  return bytes;
}

std::vector<double> Placement::layer_gpu_load(const std::vector<double>& head_load) const {
  require_loads(*this, head_load.size());
  std::vector<double> load(static_cast<std::size_t>(layers) * gpus, 0.0);
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < kv_heads; ++h)
      for (const HeadCopy& c : head_copies(l, h))
        load[static_cast<std::size_t>(l) * gpus + c.gpu] += c.share * head_load[static_cast<std::size_t>(l) * kv_heads + h];
  return load;
}

nlohmann::json Placement::to_json() const {
  nlohmann::json layer_gpu_heads = nlohmann::json::array();
  for (int l = 0; l < layers; ++l) {
    nlohmann::json per_gpu = nlohmann::json::array();
    for (int g = 0; g < gpus; ++g) per_gpu.push_back(nlohmann::json::array());
    for (int h = 0; h < kv_heads; ++h)
      for (const HeadCopy& c : head_copies(l, h)) per_gpu[c.gpu].push_back({{"head", h}, {"share", c.share}});
    layer_gpu_heads.push_back(std::move(per_gpu));
  }
  return {{"kind", kind},           {"layers", layers},
          {"kv_heads", kv_heads},   {"gpus", gpus},
          {"extra_copies", extra_copies()}, {"copies_per_gpu", copies_per_gpu()},
          {"layer_gpu_heads", std::move(layer_gpu_heads)}, {"search", search}};
}

std::string placement_problem(const Placement& p) {
  std::ostringstream why;
  if (p.layers < 1 || p.kv_heads < 1 || p.gpus < 1) return "empty placement";
  if (p.copies.size() != static_cast<std::size_t>(p.layers) * p.kv_heads)
    return "copies has " + std::to_string(p.copies.size()) + " entries, expected layers * kv_heads";
  for (int l = 0; l < p.layers; ++l)
    for (int h = 0; h < p.kv_heads; ++h) {
      const auto& c = p.head_copies(l, h);
      if (c.empty()) {
        why << "layer " << l << " head " << h << " has no copy";
        return why.str();
      }
      double sum = 0;
      std::vector<bool> seen(p.gpus, false);
      for (const HeadCopy& hc : c) {
        if (hc.gpu < 0 || hc.gpu >= p.gpus || seen[hc.gpu] || !(hc.share >= 0) || hc.share > 1 + 1e-12) {
          why << "layer " << l << " head " << h << ": bad copy (gpu " << hc.gpu << ", share " << hc.share << ")";
          return why.str();
        }
        seen[hc.gpu] = true;
        sum += hc.share;
      }
      if (std::abs(sum - 1.0) > 1e-9) {
        why << "layer " << l << " head " << h << ": shares sum to " << sum;
        return why.str();
      }
    }
  return {};
}

double auto_head_weight_tokens(const ModelSpec& model, double concurrent_requests) {
  if (!(concurrent_requests > 0)) return 0.0;
  return static_cast<double>(model.attention_weight_bytes_per_kv_head()) /
         (concurrent_requests * static_cast<double>(model.kv_bytes_per_head_token()));
}

double placement_objective(const Placement& p, const std::vector<double>& head_load, double head_weight_tokens) {
  std::vector<double> load = p.layer_gpu_load(head_load);
  if (head_weight_tokens != 0)
    for (int l = 0; l < p.layers; ++l)
      for (int h = 0; h < p.kv_heads; ++h)
        for (const HeadCopy& c : p.head_copies(l, h))
          load[static_cast<std::size_t>(l) * p.gpus + c.gpu] += head_weight_tokens;
  return sum_of_layer_max(load, p.layers, p.gpus);
}

double placement_cost(const Placement& p, const std::vector<double>& head_load) {
  return placement_objective(p, head_load, 0.0);
}

double sum_of_layer_max(const std::vector<double>& layer_gpu_tokens, int layers, int gpus) {
  double total = 0;
  for (int l = 0; l < layers; ++l) {
    const auto first = layer_gpu_tokens.begin() + static_cast<std::ptrdiff_t>(l) * gpus;
    total += *std::max_element(first, first + gpus);
  }
  return total;
}

void add_request_load(const Placement& p, std::int64_t request_index, std::span<const double> head_tokens,
                      std::vector<double>& layer_gpu_tokens) {
  require_loads(p, head_tokens.size());
  if (layer_gpu_tokens.size() != static_cast<std::size_t>(p.layers) * p.gpus)
    throw std::invalid_argument("layer_gpu_tokens must have layers * gpus entries");
  for (int l = 0; l < p.layers; ++l)
    for (int h = 0; h < p.kv_heads; ++h)
      layer_gpu_tokens[static_cast<std::size_t>(l) * p.gpus + p.gpu_for_request(l, h, request_index)] +=
          head_tokens[static_cast<std::size_t>(l) * p.kv_heads + h];
}

nlohmann::json PlacementQuality::to_json() const {
  return {{"cost", cost},
          {"lower_bound", lower_bound},
          {"lower_bound_no_copying", lower_bound_no_copying},
          {"cost_over_bound", cost_over_bound},
          {"kv_max_over_mean", kv_max_over_mean},
          {"max_weight_bytes", max_weight_bytes}};
}

PlacementQuality evaluate_placement(const Placement& p, const ModelSpec& model, const std::vector<double>& head_load) {
  PlacementQuality q;
  q.cost = placement_cost(p, head_load);
  q.lower_bound = lower_bound_cost(model, p.gpus, head_load, PlacementClass::with_copying);
  q.lower_bound_no_copying = lower_bound_cost(model, p.gpus, head_load, PlacementClass::without_copying);
  q.cost_over_bound = q.lower_bound > 0 ? q.cost / q.lower_bound : 1.0;
  const std::vector<double> load = p.layer_gpu_load(head_load);
  std::vector<double> per_gpu(p.gpus, 0.0);
  for (int l = 0; l < p.layers; ++l)
    for (int g = 0; g < p.gpus; ++g) per_gpu[g] += load[static_cast<std::size_t>(l) * p.gpus + g];
  double sum = 0, most = 0;
  for (double v : per_gpu) sum += v, most = std::max(most, v);
  q.kv_max_over_mean = sum > 0 ? most / (sum / p.gpus) : 1.0;
  const auto weights = p.weight_bytes_per_gpu(model);
  q.max_weight_bytes = *std::max_element(weights.begin(), weights.end());
  return q;
}

}  // namespace kvsim
