// See headkv_source.h.
#include "sim/budget/headkv_source.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "sim/budget/head_profiles.h"

namespace kvsim {

std::vector<int> headkv_head_budgets(const std::vector<double>& scores, int b, double beta, double temp) {
  double sum = 0;
  for (double s : scores) sum += s;
  std::vector<double> norm(scores.size());
  double sum_pow = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    norm[i] = std::pow(scores[i] / sum, temp);
    sum_pow += norm[i];
  }
  const double pooled = std::floor(b / beta);  // python: base_capacity // beta
  const double pool = pooled * static_cast<double>(scores.size());
  const double min_num = b - pooled;
  std::vector<int> out(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i)
    out[i] = static_cast<int>(std::nearbyint(norm[i] / sum_pow * pool + min_num));  // half to even
  return out;
}

HeadKvSource::HeadKvSource(const ModelSpec& model, HeadKvParams params)
    : layers_(model.layers), kv_heads_(model.kv_heads), params_(std::move(params)) {
  head_budgets_ = headkv_head_budgets(params_.scores, params_.budget - params_.window, params_.beta, params_.temp);
}

void HeadKvSource::budgets(const RequestShape& request, HeadBudgets& out) const {
  out.resize(layers_, kv_heads_);
  std::fill(out.growth.begin(), out.growth.end(), 1.0f);
  const int prompt = std::max(0, request.prompt_tokens);
  const int n = prompt - params_.window;
  if (params_.budget - params_.window > n) {  // HeadKV leaves such prompts uncompressed
    std::fill(out.kept.begin(), out.kept.end(), prompt);
    return;
  }
  for (std::size_t i = 0; i < out.kept.size(); ++i)
    out.kept[i] = params_.window + std::clamp(head_budgets_[i], 0, n);
}

std::string HeadKvSource::describe() const {
  int lo = head_budgets_.empty() ? 0 : *std::min_element(head_budgets_.begin(), head_budgets_.end());
  int hi = head_budgets_.empty() ? 0 : *std::max_element(head_budgets_.begin(), head_budgets_.end());
  std::ostringstream s;
  s << "headkv: budget " << params_.budget << " (window " << params_.window << "), beta " << params_.beta << ", temp "
    << params_.temp << ", scores " << params_.scores_label << "; per-head budgets " << lo << ".." << hi
    << " + window";
  return s.str();
}

std::unique_ptr<BudgetSource> parse_headkv_source(const JsonReader& policy, const ModelSpec& model,
                                                  const std::filesystem::path& base_dir) {
  policy.reject_unknown_keys({"kind", "budget", "window", "beta", "temp", "scores", "group_reduce"});
  HeadKvParams p;
  p.budget = static_cast<int>(policy.integer("budget", 1, 1 << 30));
  p.window = static_cast<int>(policy.integer_or("window", 32, 0, p.budget));
  p.beta = policy.number("beta", 1.0, 1e6);
  p.temp = policy.number_or("temp", 1.0, 0.0, 100.0);
  const GroupReduce reduce = read_group_reduce(policy, GroupReduce::max);
  const std::filesystem::path path = policy_data_file(policy, "scores", base_dir);
  const HeadGrid grid = read_headkv_scores(path);
  check_head_shape(grid, model, path.string(), "", "HeadKV scores");
  p.scores = reduce_to_kv_heads(grid, model, reduce).values;
  double sum = 0;
  for (double s : p.scores) sum += s;
  if (!(sum > 0)) throw InputError(path.string(), "", "head scores with a positive sum", "all scores 0");
  p.scores_label = path.filename().string() + " (" + std::string(group_reduce_name(reduce)) +
                   " over each kv head's q heads)";
  return std::make_unique<HeadKvSource>(model, std::move(p));
}

}  // namespace kvsim
