// See moa_source.h.
#include "sim/budget/moa_source.h"

#include <algorithm>
#include <cmath>

namespace kvsim {
namespace {

constexpr std::int64_t kMinSpan = 128;   // MoA: at least 128 tokens
constexpr std::int64_t kSpanStep = 64;   // MoA: spans are multiples of 64

}  // namespace

std::int64_t moa_span(double alpha, double beta, std::int64_t tokens) {
  const double raw = alpha + beta * static_cast<double>(tokens);
  // python: min(int(raw), N); int() truncates toward zero, and anything below 128 becomes 128.
  std::int64_t span = raw >= static_cast<double>(tokens) ? tokens : raw < kMinSpan ? kMinSpan
                                                                   : static_cast<std::int64_t>(raw);
  span = std::max(span, kMinSpan);
  return (span + kSpanStep - 1) / kSpanStep * kSpanStep;
}

MoaSource::MoaSource(const ModelSpec& model, MoaParams params)
    : layers_(model.layers), kv_heads_(model.kv_heads), group_(params.alphas.heads / model.kv_heads),
      params_(std::move(params)) {}

void MoaSource::budgets(const RequestShape& request, HeadBudgets& out) const {
  out.resize(layers_, kv_heads_);
  const std::int64_t prompt = std::max(0, request.prompt_tokens);
  const std::int64_t output = std::max(0, request.output_tokens);
  const std::int64_t last_len = prompt + output;
  const double* alpha = params_.alphas.values.data();
  const double* beta = params_.betas.values.data();
  const bool use_max = params_.reduce == GroupReduce::max;
  const auto g = static_cast<std::size_t>(group_);
  for (std::size_t i = 0; i < out.kept.size(); ++i) {  // i = layer * kv_heads + head; q heads i*G..i*G+G-1
    std::int64_t first_max = 0, first_sum = 0, last_max = 0, last_sum = 0;
    for (std::size_t q = i * g; q < (i + 1) * g; ++q) {
      const std::int64_t first = std::min(moa_span(alpha[q], beta[q], prompt), prompt);
      const std::int64_t last = std::min(moa_span(alpha[q], beta[q], last_len), last_len);
      first_max = std::max(first_max, first);
      first_sum += first;
      last_max = std::max(last_max, last);
      last_sum += last;
    }
    const std::int64_t kept = use_max ? first_max : (first_sum + group_ - 1) / group_;
    const std::int64_t last = use_max ? last_max : (last_sum + group_ - 1) / group_;
    out.kept[i] = static_cast<std::int32_t>(kept);
    // At most one token per step: the 64-token rounding can make the two ends differ by a bit more.
    out.growth[i] = output == 0 ? 0.0f
                                : static_cast<float>(std::clamp(
                                      static_cast<double>(last - kept) / static_cast<double>(output), 0.0, 1.0));
  }
}

std::string MoaSource::describe() const {
  return "moa: spans from " + params_.file_label + (group_ > 1 ? std::string(", ") +
         std::string(group_reduce_name(params_.reduce)) + " over each kv head's q heads" : std::string());
}

std::unique_ptr<BudgetSource> parse_moa_source(const JsonReader& policy, const ModelSpec& model,
                                               const std::filesystem::path& base_dir) {
  policy.reject_unknown_keys({"kind", "file", "group_reduce"});
  MoaParams p;
  p.reduce = read_group_reduce(policy, GroupReduce::max);
  const std::filesystem::path path = policy_data_file(policy, "file", base_dir);
  MoaAlphaBeta ab = read_moa_alpha_beta(path);
  check_head_shape(ab.alphas, model, path.string(), "/alphas", "MoA alphas and betas");
  p.alphas = std::move(ab.alphas);
  p.betas = std::move(ab.betas);
  p.file_label = path.filename().string();
  return std::make_unique<MoaSource>(model, std::move(p));
}

}  // namespace kvsim
