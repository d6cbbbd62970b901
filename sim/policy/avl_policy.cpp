// See avl_policy.h.
#include "sim/policy/avl_policy.h"

#include <algorithm>
#include <cstdio>

#include "sim/policy/token_rules.h"

namespace kvsim {

using namespace policy_rules;

AvlPolicy::AvlPolicy(const ModelSpec& model, AvlParams params, std::unique_ptr<BudgetSource> text_budgets)
    : layers_(model.layers), kv_heads_(model.kv_heads), params_(params), text_budgets_(std::move(text_budgets)) {}

void AvlPolicy::footprint(const Request& request, PolicyFootprint& out) const {
  const int I = request.image_tokens, P = request.prefix_tokens, T = request.text_tokens();
  const int steps = decode_steps(request.output_tokens);
  HeadBudgets& stored = out.stored;
  // Text first, per head (a budget source) or the same for all heads (A-VL's rule).
  if (text_budgets_) {
    text_budgets_->budgets({.id = request.id, .prompt_tokens = T, .output_tokens = request.output_tokens}, stored);
  } else {
    stored.resize(layers_, kv_heads_);
    auto text_after = [&](int text) { return avl_text_tokens(params_.text_keep, params_.text_min_tokens, text); };
    const int kept = text_after(T);
    const double growth = linear_growth(text_after, T, steps, params_.text_keep);
    std::fill(stored.kept.begin(), stored.kept.end(), kept);
    std::fill(stored.growth.begin(), stored.growth.end(), static_cast<float>(growth));
  }
  const bool subset = computes_subset();
  const std::size_t cells = stored.kept.size();
  if (subset) {
    out.computed.resize(cells);
    out.computed_growth.assign(stored.growth.begin(), stored.growth.end());
  } else {
    out.computed.clear();
    out.computed_growth.clear();
  }
  if (subset && params_.refresh_interval > 0) out.refresh_extra.resize(cells);
  else out.refresh_extra.clear();

  const int secondary = share_floor(params_.vision_keep, I);
  const int core = share_floor(params_.vision_compute, I);
  out.image_stored.resize(static_cast<std::size_t>(layers_));
  out.image_computed.resize(static_cast<std::size_t>(layers_));
  for (int l = 0; l < layers_; ++l) {
    const int present = params_.filter.image_tokens_in(l, I);
    const int stored_image = std::min(secondary, present);
    const int core_image = std::min(core, stored_image);
    out.image_stored[static_cast<std::size_t>(l)] = stored_image;
    out.image_computed[static_cast<std::size_t>(l)] = core_image;
    for (int h = 0; h < kv_heads_; ++h) {
      const std::size_t i = static_cast<std::size_t>(l) * kv_heads_ + h;
      const std::int32_t text = stored.kept[i];
      stored.kept[i] = P + stored_image + text;
      if (subset) out.computed[i] = P + core_image + text;
      if (!out.refresh_extra.empty()) out.refresh_extra[i] = stored_image - core_image;
    }
  }
  params_.filter.fill_prefill_share(request, layers_, out.prefill_share);
}

std::string AvlPolicy::describe() const {
  char text[160], buf[400];
  if (text_budgets_) std::snprintf(text, sizeof text, "text budgets: %s", text_budgets_->describe().c_str());
  else std::snprintf(text, sizeof text, "text keep %g (min %d, heavy share %g)", params_.text_keep,
                     params_.text_min_tokens, params_.text_heavy_share);
  const std::string refresh =
      params_.refresh_interval > 0 ? "every " + std::to_string(params_.refresh_interval) + " steps" : "never";
  const std::string filter = params_.filter.active() ? ", prefill filter: " + params_.filter.describe() : "";
  std::snprintf(buf, sizeof buf, "a_vl: image keep %g, compute %g, refresh %s, %s%s", params_.vision_keep,
                params_.vision_compute, refresh.c_str(), text, filter.c_str());
  return buf;
}

std::unique_ptr<AttentionPolicy> parse_avl_policy(const JsonReader& r, const ModelSpec& model, std::uint64_t seed,
                                                  const std::filesystem::path& base_dir) {
  r.reject_unknown_keys({"kind", "vision_keep", "vision_compute", "refresh_interval", "text", "prefill_filter"});
  AvlParams p;
  p.vision_keep = r.number_or("vision_keep", p.vision_keep, 0.0, 1.0);
  p.vision_compute = r.number_or("vision_compute", std::min(p.vision_compute, p.vision_keep), 0.0, 1.0);
  if (p.vision_compute > p.vision_keep)
    r.fail("vision_compute", "a share at most vision_keep (" + nlohmann::json(p.vision_keep).dump() +
                                 "): only stored image tokens can be computed",
           JsonReader::describe(r.json()["vision_compute"]));
  if (r.has("refresh_interval")) {
    const JsonReader k = r.at("refresh_interval");
    if (k.json().is_string() && k.json().get<std::string>() == "never") p.refresh_interval = 0;
    else if (k.json().is_number_integer() && k.json().get<std::int64_t>() >= 1 && k.json().get<std::int64_t>() <= 1'000'000)
      p.refresh_interval = static_cast<int>(k.json().get<std::int64_t>());
    else k.fail_here("a refresh interval in decode steps, an integer in [1, 1000000], or \"never\"",
                     JsonReader::describe(k.json()));
  }
  std::unique_ptr<BudgetSource> text_budgets;
  if (r.has("text")) {
    const JsonReader t = r.at("text");
    t.expect_object();
    if (t.has("budgets")) {
      t.reject_unknown_keys({"budgets"});
      text_budgets = make_budget_source(t.at("budgets").json(), model, seed, t.file(), t.pointer_to("budgets"), base_dir);
    } else {
      t.reject_unknown_keys({"keep", "min_tokens", "heavy_share", "budgets"});
      p.text_keep = t.number_or("keep", p.text_keep, 0.0, 1.0);
      p.text_min_tokens = static_cast<int>(t.integer_or("min_tokens", p.text_min_tokens, 0, 10'000'000));
      p.text_heavy_share = t.number_or("heavy_share", p.text_heavy_share, 0.0, 1.0);
    }
  }
  if (r.has("prefill_filter") && !r.json()["prefill_filter"].is_null()) {
    const JsonReader f = r.at("prefill_filter");
    f.expect_object();
    f.reject_unknown_keys({"after_layer", "keep"});
    p.filter = parse_prefill_filter(f, model, PrefillFilter{.after_layer = std::min(3, model.layers), .keep = 0.5});
  }
  return std::make_unique<AvlPolicy>(model, p, std::move(text_budgets));
}

}  // namespace kvsim
