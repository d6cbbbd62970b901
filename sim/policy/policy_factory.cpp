// make_attention_policy(): the "kind" of the scenario's attention_policy picks the policy, whose
// file parses and checks its own keys. Also the offline per-head statistics placements use.
#include <algorithm>
#include <cmath>

#include "sim/core/rng.h"
#include "sim/policy/attention_policy.h"
#include "sim/policy/avl_policy.h"
#include "sim/policy/fastv_policy.h"
#include "sim/policy/full_policy.h"
#include "sim/policy/h2o_policy.h"
#include "sim/policy/streaming_policy.h"
#include "sim/scenario/json_reader.h"
#include "sim/scenario/scenario.h"

namespace kvsim {

std::unique_ptr<AttentionPolicy> make_attention_policy(const nlohmann::json& attention_policy,
                                                       const nlohmann::json& kv_policy, const ModelSpec& model,
                                                       std::uint64_t seed, const std::string& file,
                                                       const std::filesystem::path& base_dir) {
  const nlohmann::json full = {{"kind", "full"}};
  const JsonReader r(attention_policy.is_null() ? full : attention_policy, file, "/attention_policy");
  r.expect_object();
  const std::string kind = r.choice("kind", {"full", "a_vl", "fastv", "h2o", "streaming_llm"});
  if (kind == "full") {
    r.reject_unknown_keys({"kind"});
    return std::make_unique<FullPolicy>(
        make_budget_source(kv_policy.is_null() ? full : kv_policy, model, seed, file, "/kv_policy", base_dir));
  }
  if (kv_policy.is_object() && kv_policy.value("kind", "") != "full")
    throw InputError(file, "/kv_policy",
                     "no kv_policy or {\"kind\": \"full\"} with attention_policy \"" + kind +
                         "\" (a_vl takes text-side budgets in /attention_policy/text/budgets)",
                     JsonReader::describe(kv_policy.value("kind", nlohmann::json())) + " as its kind");
  if (kind == "a_vl") return parse_avl_policy(r, model, seed, base_dir);
  if (kind == "fastv") return parse_fastv_policy(r, model);
  if (kind == "h2o") return parse_h2o_policy(r, model);
  return parse_streaming_policy(r, model);
}

std::unique_ptr<AttentionPolicy> make_attention_policy(const Scenario& s) {
  return make_attention_policy(s.attention_policy, s.kv_policy, s.model, s.seed, s.file, s.base_dir);
}

Request profiling_request(const std::vector<Request>& requests) {
  double prompt = 0, prefix = 0, image = 0, images = 0, output = 0;
  for (const Request& r : requests) {
    prompt += r.prompt_tokens;
    output += r.output_tokens;
    prefix += r.prefix_tokens;
    image += r.image_tokens;
    images += r.images;
  }
  const double n = requests.empty() ? 1.0 : static_cast<double>(requests.size());
  auto mean = [&](double sum) { return static_cast<int>(sum / n + 0.5); };
  Request shape{.prompt_tokens = std::max(1, mean(prompt)), .output_tokens = std::max(1, mean(output))};
  shape.prefix_tokens = std::min(mean(prefix), shape.prompt_tokens - 1);
  shape.image_tokens = std::min(mean(image), shape.prompt_tokens - 1 - shape.prefix_tokens);
  shape.images = shape.image_tokens > 0 ? std::max(1, mean(images)) : 0;
  return shape;
}

std::vector<double> mean_stored_per_head(const AttentionPolicy& policy, const ModelSpec& model, int samples,
                                         const Request& shape, std::uint64_t seed) {
  std::vector<double> mean(static_cast<std::size_t>(model.layers) * model.kv_heads, 0.0);
  PolicyFootprint f;
  Request r = shape;
  const int n = std::max(1, samples);
  for (int i = 0; i < n; ++i) {
    // Ids from their own stream (as sim/budget's mean_kept_per_head), never a run's 0, 1, 2, ...
    r.id = static_cast<std::int64_t>(mix_seed(seed, 0x70726f66696c65 /* "profile" */, i) >> 1);
    policy.footprint(r, f);
    // The KV a head holds, averaged over the request's decode steps: what its attention reads per step
    // on average (the prompt's budget plus half of what decoding appends).
    const double half_decode = (r.output_tokens - 1) / 2.0;
    for (std::size_t k = 0; k < mean.size() && k < f.stored.kept.size(); ++k)
      mean[k] += f.stored.kept[k] + f.stored.growth[k] * half_decode;
  }
  for (double& m : mean) m /= n;
  return mean;
}

}  // namespace kvsim
