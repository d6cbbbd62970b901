// See duoattention_source.h.
#include "sim/budget/duoattention_source.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "sim/budget/head_profiles.h"
#include "sim/core/rng.h"

namespace kvsim {

double linear_quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  if (values.empty()) return 0;
  const double pos = (static_cast<double>(values.size()) - 1) * std::clamp(q, 0.0, 1.0);
  const std::size_t lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

DuoAttentionSource::DuoAttentionSource(const ModelSpec& model, DuoAttentionParams params, std::uint64_t seed)
    : layers_(model.layers), kv_heads_(model.kv_heads), params_(std::move(params)) {
  // DuoAttention adds uniform noise in [0, 1e-6) to break ties between saturated gates.
  Rng rng(mix_seed(seed, 0x64756f /* "duo" */));
  std::vector<double> noisy = params_.gates;
  for (double& g : noisy) g += rng.uniform() * 1e-6;
  if (params_.use_threshold) {
    threshold_used_ = params_.threshold;
  } else {
    threshold_used_ = linear_quantile(noisy, params_.sparsity);
    if (params_.sparsity >= 1) threshold_used_ = 2;
    if (params_.sparsity <= 0) threshold_used_ = -1;
  }
  full_.resize(noisy.size());
  std::size_t full_count = 0;
  for (std::size_t i = 0; i < noisy.size(); ++i) {
    full_[i] = noisy[i] >= threshold_used_;
    full_count += full_[i] ? 1 : 0;
  }
  achieved_sparsity_ = noisy.empty() ? 0.0 : 1.0 - static_cast<double>(full_count) / static_cast<double>(noisy.size());
}

void DuoAttentionSource::budgets(const RequestShape& request, HeadBudgets& out) const {
  out.resize(layers_, kv_heads_);
  const int prompt = std::max(0, request.prompt_tokens);
  const int output = std::max(0, request.output_tokens);
  const int window = params_.sink + params_.recent;
  const int kept_streaming = std::min(prompt, window);
  const int final_streaming = static_cast<int>(std::min<std::int64_t>(static_cast<std::int64_t>(prompt) + output, window));
  const float growth_streaming =
      output > 0 ? static_cast<float>(final_streaming - kept_streaming) / static_cast<float>(output) : 0.0f;
  for (std::size_t i = 0; i < full_.size(); ++i) {
    out.kept[i] = full_[i] ? prompt : kept_streaming;
    out.growth[i] = full_[i] ? 1.0f : growth_streaming;
  }
}

std::string DuoAttentionSource::describe() const {
  std::ostringstream s;
  s << "duoattention: gates " << params_.gates_label << ", ";
  if (params_.use_threshold) s << "threshold " << params_.threshold;
  else s << "sparsity " << params_.sparsity << " requested";
  s << ", " << achieved_sparsity_ << " achieved (" << std::count(full_.begin(), full_.end(), 0) << " of "
    << full_.size() << " heads streaming with " << params_.sink << " sink + " << params_.recent << " recent tokens)";
  return s.str();
}

std::unique_ptr<BudgetSource> parse_duoattention_source(const JsonReader& policy, const ModelSpec& model,
                                                        std::uint64_t seed, const std::filesystem::path& base_dir) {
  policy.reject_unknown_keys({"kind", "gates", "sparsity", "threshold", "sink", "recent", "group_reduce"});
  DuoAttentionParams p;
  if (policy.has("sparsity") && policy.has("threshold"))
    policy.fail("threshold", "either \"sparsity\" or \"threshold\", not both", "both");
  p.use_threshold = policy.has("threshold");
  if (p.use_threshold) p.threshold = policy.number("threshold", 0.0, 1.0);
  else p.sparsity = policy.number_or("sparsity", 0.5, 0.0, 1.0);
  p.sink = static_cast<int>(policy.integer_or("sink", 128, 0, 1 << 24));
  p.recent = static_cast<int>(policy.integer_or("recent", 256, 0, 1 << 24));
  const GroupReduce reduce = read_group_reduce(policy, GroupReduce::max);
  const std::filesystem::path path = policy_data_file(policy, "gates", base_dir);
  const HeadGrid grid = read_duoattention_gates(path);
  check_head_shape(grid, model, path.string(), "rows x columns", "DuoAttention gates");
  p.gates = reduce_to_kv_heads(grid, model, reduce).values;
  p.gates_label = path.filename().string();
  if (grid.heads != model.kv_heads) p.gates_label += " (" + std::string(group_reduce_name(reduce)) + " over q heads)";
  return std::make_unique<DuoAttentionSource>(model, std::move(p), seed);
}

}  // namespace kvsim
