// See adakv_source.h.
#include "sim/budget/adakv_source.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "sim/budget/adakv_generator.h"
#include "sim/budget/head_profiles.h"
#include "sim/core/rng.h"

namespace kvsim {
namespace {

constexpr std::uint64_t kNoiseStream = 0x6164616b76;  // "adakv": per-request noise
constexpr int kStackHeads = 256;

}  // namespace

AdaKvSource::AdaKvSource(const ModelSpec& model, AdaKvParams params, std::uint64_t seed)
    : layers_(model.layers), kv_heads_(model.kv_heads), params_(std::move(params)), seed_(seed) {
  // u = w^(1/a), normalised per layer; computed in logs relative to the layer's heaviest head so that
  // steep skews with small exponents neither overflow nor lose the light heads to rounding.
  const double inv_a = 1.0 / params_.score_exponent;
  base_u_.resize(static_cast<std::size_t>(layers_) * kv_heads_);
  for (int l = 0; l < layers_; ++l) {
    const double* w = params_.head_weights.data() + static_cast<std::size_t>(l) * kv_heads_;
    double* u = base_u_.data() + static_cast<std::size_t>(l) * kv_heads_;
    double top = 0;
    for (int h = 0; h < kv_heads_; ++h) top = std::max(top, w[h]);
    double sum = 0;
    for (int h = 0; h < kv_heads_; ++h) {
      u[h] = w[h] > 0 ? std::exp((std::log(w[h]) - std::log(top)) * inv_a) : 0.0;
      sum += u[h];
    }
    for (int h = 0; h < kv_heads_; ++h) u[h] = sum > 0 ? u[h] / sum : 1.0 / kv_heads_;  // all-zero layer: even
  }
  const auto& z = normal_quantile_table();
  for (std::size_t i = 0; i < noise_.size(); ++i) noise_[i] = std::exp(params_.variation * z[i] * inv_a);
}

void AdaKvSource::budgets(const RequestShape& request, HeadBudgets& out) const {
  out.resize(layers_, kv_heads_);
  std::fill(out.growth.begin(), out.growth.end(), 1.0f);
  const int prompt = std::max(0, request.prompt_tokens);
  const int b = params_.budget - params_.window;  // AdaKV's base_capacity
  const int n = prompt - params_.window;          // candidate tokens per head
  if (b > n) {                                    // AdaKV leaves such prompts uncompressed
    std::fill(out.kept.begin(), out.kept.end(), prompt);
    return;
  }
  const int heads = kv_heads_;
  std::array<double, kStackHeads> u_stack, c_stack;
  std::vector<double> u_heap, c_heap;
  double* u = u_stack.data();
  double* c = c_stack.data();
  if (heads > kStackHeads) {
    u_heap.resize(heads);
    c_heap.resize(heads);
    u = u_heap.data();
    c = c_heap.data();
  }
  const double total = static_cast<double>(heads) * b;  // the layer's top H*b scores
  Rng rng(mix_seed(seed_, kNoiseStream, static_cast<std::uint64_t>(request.id)));
  std::uint64_t bits = 0;
  int left = 0;  // 12-bit draws left in `bits` (5 per 64-bit word)
  for (int l = 0; l < layers_; ++l) {
    const double* base = base_u_.data() + static_cast<std::size_t>(l) * heads;
    double weight = 0, heaviest = 0;
    for (int h = 0; h < heads; ++h) {
      if (left == 0) {
        bits = rng.next();
        left = 5;
      }
      u[h] = base[h] * noise_[bits & 4095];
      weight += u[h];
      heaviest = std::max(heaviest, u[h]);
      bits >>= 12;
      --left;
    }
    std::int32_t* kept = out.kept.data() + static_cast<std::size_t>(l) * heads;
    // Fast path of fill_topk_counts: no head reaches the cap of n candidates (the usual case), so
    // the counts are u * t. The split never exceeds window + n = prompt (see adakv_split).
    const double t = total / weight;
    if (weight > 0 && heaviest * t <= n) {
      adakv_split(u, t, heads, b, params_.alpha, params_.window, kept);
    } else {
      fill_topk_counts(u, heads, total, n, c);
      adakv_split(c, 1.0, heads, b, params_.alpha, params_.window, kept);
    }
    for (int h = 0; h < heads; ++h) kept[h] = std::min(kept[h], prompt);  // guards floating-point ties only
  }
}

std::string AdaKvSource::describe() const {
  std::ostringstream s;
  s << "adakv: budget " << params_.budget << " (window " << params_.window << "), alpha " << params_.alpha
    << ", head weights " << params_.weights_label << ", variation " << params_.variation << ", score exponent "
    << params_.score_exponent;
  return s.str();
}

std::unique_ptr<BudgetSource> parse_adakv_source(const JsonReader& policy, const ModelSpec& model, std::uint64_t seed,
                                                 const std::filesystem::path& base_dir) {
  policy.reject_unknown_keys({"kind", "budget", "window", "alpha", "profile", "skew", "variation", "score_exponent",
                              "group_reduce"});
  AdaKvParams p;
  p.budget = static_cast<int>(policy.integer("budget", 1, 1 << 30));
  p.window = static_cast<int>(policy.integer_or("window", 32, 0, p.budget));
  p.alpha = policy.number_or("alpha", 0.2, 0.0, 1.0);
  p.variation = policy.number_or("variation", 0.3, 0.0, 3.0);
  p.score_exponent = policy.number_or("score_exponent", 1.0, 0.1, 10.0);
  const GroupReduce reduce = read_group_reduce(policy, GroupReduce::max);
  const bool has_profile = policy.has("profile"), has_skew = policy.has("skew");
  if (has_profile == has_skew)
    policy.fail(has_skew ? "skew" : "profile",
                "exactly one of \"profile\" (a HeadKV-format score file) and \"skew\" (a synthetic skew)",
                has_skew ? "both" : "neither");
  if (has_profile) {
    const std::filesystem::path path = policy_data_file(policy, "profile", base_dir);
    const HeadGrid scores = read_headkv_scores(path);
    check_head_shape(scores, model, path.string(), "", "head scores");
    p.head_weights = reduce_to_kv_heads(scores, model, reduce).values;
    p.weights_label = "from " + path.filename().string() + " (" + std::string(group_reduce_name(reduce)) +
                      " over each kv head's q heads)";
  } else {
    const std::string spec = policy.string("skew");
    if (!skew_weights(spec, model.layers, model.kv_heads, seed, p.head_weights))
      policy.fail("skew", "\"uniform\", \"zipf-S\" or \"lognormal-S\" with S a number in [0, 10]",
                  JsonReader::describe(policy.at("skew").json()));
    p.weights_label = "skew " + spec;
  }
  return std::make_unique<AdaKvSource>(model, std::move(p), seed);
}

}  // namespace kvsim
