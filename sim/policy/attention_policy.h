// AttentionPolicy: which KV tokens a request STORES in each (layer, kv head) and which of them each
// decode step COMPUTES (reads in attention), for text LLMs and vision-language models. One policy per
// file: full (the per-head budgets of "kv_policy" over the whole prompt), a_vl, fastv, h2o,
// streaming_llm. make_attention_policy() builds one from the scenario's "attention_policy" object.
//
// Schema (anything else is an InputError at its JSON pointer; see sim/policy/README.md):
//   absent or {"kind": "full"}
//       every (layer, kv head) stores and computes what "kv_policy" keeps of the whole prompt.
//   {"kind": "a_vl", "vision_keep": 0.5, "vision_compute": 0.3, "refresh_interval": 3 | "never",
//    "text": {"keep": 0.6, "min_tokens": 20, "heavy_share": 0.7} | {"budgets": {<a kv_policy object>}},
//    "prefill_filter": {"after_layer": 3, "keep": 0.5}}
//       vision_keep      share of the image tokens stored after prefill (A-VL's "secondary" set;
//                        its code's vision_adaptive_attention_rate = 1 - vision_keep), in [0, 1]
//       vision_compute   share of the image tokens a normal decode step attends (the "core";
//                        compute_rate = 1 - vision_compute), in [0, vision_keep]
//       refresh_interval a decode step whose 1-based index is a multiple of it attends every stored
//                        image token and re-picks the core (A-VL: gen_token_idx % interval == 0);
//                        integer >= 1, or "never" (the core picked at prefill serves every step)
//       text             the text after the images, prompt and generated: A-VL's budget
//                        min(T, max(round(keep * T), min_tokens)), heavy_share of it heavy hitters and
//                        the rest recent; or the per-head budgets of a text-side method ("budgets":
//                        any kv_policy object, applied to the text tokens as its prompt). The system
//                        prefix is always kept.
//       prefill_filter   optional FastV-style filter: layers after_layer.. hold only floor(keep * I)
//                        of the I image tokens, in prefill (less compute) and in the cache.
//       Defaults are the values of A-VL's evaluation script (DESIGN.md); no filter unless given.
//   {"kind": "fastv", "after_layer": 2, "keep": 0.5}
//       FastV: layers 0..after_layer-1 see every token; later layers drop all but floor(keep * I)
//       image tokens from their hidden states (prefill compute and KV shrink there).
//   {"kind": "h2o", "heavy": 0.125, "recent": 0.375}
//       H2O over the whole sequence of S tokens: floor(heavy*S) heavy hitters + floor(recent*S) recent.
//   {"kind": "streaming_llm", "sink": 4, "window": 1020}
//       the first `sink` tokens and the `window` most recent.
// Selection in a_vl, fastv is per layer, shared by all heads of the layer (A-VL averages the last
// query's attention over heads). Rounding: token shares of images are floored (the code's int()),
// A-VL's text budget is rounded half to even (Python round()); see token_rules.h.
//
// What a footprint says, per [layer * kv_heads + head]:
//   stored.kept, stored.growth  KV tokens after prefill and added per decode step (memory)
//   computed, computed_growth   tokens a normal decode step attends, after prefill, and their growth
//   refresh_extra               tokens a refresh step attends in addition (constant over the decode:
//                               for A-VL the stored image tokens outside the core)
// and per layer, prefill_share: the share of the prompt in that layer's hidden states (FastV), and
// for A-VL image_stored / image_computed (the layout of stored.kept = prefix + image + text).
// Policies whose computed set equals the stored set (all but a_vl) leave computed* empty.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/budget/budget_source.h"
#include "sim/model/model_spec.h"
#include "sim/workload/workload.h"

namespace kvsim {

struct Scenario;

struct PolicyFootprint {
  HeadBudgets stored;                       // what memory holds
  std::vector<std::int32_t> computed;       // empty: equal to stored.kept
  std::vector<float> computed_growth;       // empty: equal to stored.growth
  std::vector<std::int32_t> refresh_extra;  // empty: no refresh steps
  std::vector<float> prefill_share;         // [layer]; empty: the whole prompt in every layer
  // [layer]: of the prompt's image tokens (after its prefix), those stored after prefill and those a
  // normal decode step computes (A-VL's secondary and core sets), for an executor that lays each
  // segment out as prefix | stored image | text (the cuda executor). Empty for other policies.
  std::vector<std::int32_t> image_stored, image_computed;

  bool computes_subset() const { return !computed.empty(); }
  std::int32_t computed_at(std::size_t i) const { return computed.empty() ? stored.kept[i] : computed[i]; }
  float computed_growth_at(std::size_t i) const { return computed_growth.empty() ? stored.growth[i] : computed_growth[i]; }
  std::int32_t refresh_at(std::size_t i) const { return computed_at(i) + (refresh_extra.empty() ? 0 : refresh_extra[i]); }
  float prefill_share_at(int layer) const {
    return prefill_share.empty() ? 1.0f : prefill_share[static_cast<std::size_t>(layer)];
  }
};

class AttentionPolicy {
 public:
  virtual ~AttentionPolicy() = default;
  virtual std::string_view name() const = 0;
  // Deterministic (request id and lengths, parameters, construction seed) and const: may run on
  // several threads. Reuses out's storage.
  virtual void footprint(const Request& request, PolicyFootprint& out) const = 0;
  // Decode steps between refresh steps (a request refreshes at its own steps K, 2K, ...); 0: never.
  virtual int refresh_interval() const { return 0; }
  // True if some request's computed set differs from its stored set (the scheduler then keeps
  // separate running totals for attention).
  virtual bool computes_subset() const { return false; }
  // One line with the parameters (for summary.json notes and reports).
  virtual std::string describe() const = 0;
};

// Builds the policy of `attention_policy` (the object at `pointer` of `file`), with "kv_policy" (at
// /kv_policy) for the full policy. A non-full attention policy takes its text-side budgets from
// /attention_policy/text/budgets, so kv_policy must then be absent or {"kind": "full"}.
std::unique_ptr<AttentionPolicy> make_attention_policy(const nlohmann::json& attention_policy,
                                                       const nlohmann::json& kv_policy, const ModelSpec& model,
                                                       std::uint64_t seed, const std::string& file,
                                                       const std::filesystem::path& base_dir);
std::unique_ptr<AttentionPolicy> make_attention_policy(const Scenario& scenario);

// The request shape the offline placement statistics are profiled on: the rounded means of the
// prefix, image, text and output tokens of `requests`, one image if any request has images.
Request profiling_request(const std::vector<Request>& requests);
// Mean stored tokens per [layer * kv_heads + head] over `samples` requests of `shape`, averaged over
// each request's decode (kept after prefill + growth x (output - 1) / 2), with ids drawn from `seed`
// (as sim/budget's mean_kept_per_head does): the per-head load FairKV places heads by. The decode
// part matters: every head appends the same tokens per step, so it weighs the heads a GPU serves.
std::vector<double> mean_stored_per_head(const AttentionPolicy& policy, const ModelSpec& model, int samples,
                                         const Request& shape, std::uint64_t seed);

}  // namespace kvsim
