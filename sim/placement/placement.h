// Placement: which GPUs hold each (layer, GQA kv head), and which copy of a replicated head serves
// each request. Computed offline from profiled per-head KV loads (FairKV's statistics), then
// evaluated by the simulator on every request's actual budgets, so the cost of a static placement
// under per-input variation (AdaKV) shows.
//
// Units. A head's "load" is the mean number of KV tokens it keeps per request (from profiling).
// A copy with share s carries s * load. load(layer, gpu) is the sum of the copies' loads there: the
// KV that GPU's attention reads in that layer, per request.
//
// Cost (what the placements minimise). Decode runs every layer as max over GPUs followed by an
// all-reduce, so the attention time of a step is proportional to
//     cost = sum over layers of max over GPUs of load(layer, gpu)                    (placement_cost)
// Copies are not free: each head copy a GPU holds makes it read that head's projection weights once
// per decode step. Expressed in KV tokens per request, that is
//     head_weight_tokens = attention_weight_bytes_per_kv_head / (R * kv_bytes_per_head_token)
// for a batch of R concurrent requests (37.7 MB / (R * 512 B) for LLaMA-3-70B). The planning
// objective of fair_copying and balanced_split is therefore
//     objective = sum over layers of max over GPUs of (load(layer, gpu) + head_weight_tokens * copies(layer, gpu))
// (placement_objective); with head_weight_tokens = 0 it is the cost above.
//
// Memory. GPU g holds weight_bytes_per_gpu()[g] + R * kv_bytes_per_head_token * sum over layers of
// load(layer, g), R = PlacementRequest::expected_concurrent_requests. The fullest GPU caps the batch.
// Copies never push the fullest GPU above max(gpu_memory_bytes, fullest GPU of the copy-free base
// placement): if even the base does not fit, copies may rebalance but not make it worse.
//
// The "placement" JSON object of a scenario (anything else is rejected with InputError at its pointer):
//   {"kind": "tensor_parallel"}
//   {"kind": "best_effort",    "equal_heads": true}
//   {"kind": "fair_copying",   "equal_heads": true, "copy_budget": 40, "max_copies_per_head": 8,
//                              "head_weight_tokens": "auto"}
//   {"kind": "balanced_split", "copy_budget": 40, "max_copies_per_head": 8, "head_weight_tokens": "auto"}
//   equal_heads         bool, default true: every GPU holds the same number of kv heads per layer
//                       (floor or ceil of kv_heads / gpus when it does not divide), so weights stay
//                       balanced; false lets counts differ and charges weights where heads go.
//   copy_budget         integer >= 0, default unlimited: extra head copies over the whole model.
//   max_copies_per_head integer >= 1, default gpus: copies of one (layer, head), original included.
//   head_weight_tokens  number >= 0 or "auto" (default): the per-copy term of the objective above;
//                       "auto" uses the formula above, or 0 when expected_concurrent_requests is 0.
// See sim/placement/README.md for the algorithms and what each optimises.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/model/model_spec.h"

namespace kvsim {

struct HeadCopy {
  int gpu = 0;
  double share = 1.0;  // share of the requests this copy serves; a head's shares sum to 1
};

struct Placement {
  std::string kind;
  int layers = 0, kv_heads = 0, gpus = 0;
  std::vector<std::vector<HeadCopy>> copies = {};   // [layer * kv_heads + head], >= 1 copy, sorted by gpu
  nlohmann::json search = nlohmann::json::object();  // how the algorithm got there (for summary.json)

  const std::vector<HeadCopy>& head_copies(int layer, int head) const {
    return copies[static_cast<std::size_t>(layer) * kv_heads + head];
  }
  // Which copy serves request `request_index` (0, 1, 2, ... in arrival order) for (layer, head).
  // Deterministic and stateless: u = frac(request_index * (golden ratio) + per-head offset), a Weyl
  // sequence with discrepancy O(log n / n), picks the copy whose cumulative share interval holds u.
  // O(copies). Over n requests each copy serves its share * n requests to within a few requests.
  int copy_for_request(int layer, int head, std::int64_t request_index) const;
  int gpu_for_request(int layer, int head, std::int64_t request_index) const {
    return head_copies(layer, head)[copy_for_request(layer, head, request_index)].gpu;
  }
  int extra_copies() const;                   // copies beyond one per (layer, head)
  std::vector<int> copies_per_gpu() const;    // head copies held by each GPU, all layers
  // Weight bytes charged to each GPU. Convention: the attention projections (Wq, Wk, Wv, Wo slices)
  // of every head copy a GPU holds are charged to it; everything else (MLP, embeddings and LM head,
  // norms) is split evenly, the remainder bytes going one each to the lowest GPU ids, so the GPUs
  // together hold exactly total_weight_bytes() plus one attention slice per extra copy. (Real TP
  // replicates the norms, 2.6 MB on LLaMA-3-70B; this convention ignores that.)
  std::vector<std::int64_t> weight_bytes_per_gpu(const ModelSpec& model) const;
  // load(layer, gpu) as [layer * gpus + gpu], in the units of head_load.
  std::vector<double> layer_gpu_load(const std::vector<double>& head_load) const;
  // {"kind", "layers", "kv_heads", "gpus", "extra_copies", "copies_per_gpu",
  //  "layer_gpu_heads": [layer][gpu] -> [{"head": h, "share": s}], "search": {...}}
  nlohmann::json to_json() const;
};

// Empty when the placement is well formed (every (layer, head) has >= 1 copy on distinct valid GPUs,
// shares >= 0 summing to 1); otherwise what is wrong. make_placement checks its results with it.
std::string placement_problem(const Placement& placement);

struct PlacementRequest {  // offline inputs
  const ModelSpec* model = nullptr;
  int gpus = 0;
  std::vector<double> head_load = {};     // mean KV tokens per [layer * kv_heads + head], from profiling
  std::int64_t gpu_memory_bytes = 0;      // usable bytes per GPU for weights + KV; <= 0: no limit
  // How many requests' KV must fit at once (the batch the scheduler should sustain). Sets R in the
  // memory constraint and in head_weight_tokens "auto". 0: memory counts weights only.
  double expected_concurrent_requests = 0;
};

// Builds the placement the JSON object at `pointer` of `file` asks for (see the schema above).
// Bad JSON: InputError at the exact pointer. A request inconsistent with its model
// (head_load size, gpus < 1, negative loads): std::invalid_argument.
Placement make_placement(const nlohmann::json& placement_config, const PlacementRequest& request,
                         const std::string& file, const std::string& pointer);
std::vector<std::string> placement_kinds();

// head_weight_tokens for "auto": attention_weight_bytes_per_kv_head / (R * kv_bytes_per_head_token).
double auto_head_weight_tokens(const ModelSpec& model, double concurrent_requests);

// sum over layers of max over GPUs of load(layer, gpu).
double placement_cost(const Placement& placement, const std::vector<double>& head_load);
// sum over layers of max over GPUs of (load(layer, gpu) + head_weight_tokens * copies(layer, gpu)).
double placement_objective(const Placement& placement, const std::vector<double>& head_load,
                           double head_weight_tokens);

// Which placements a lower bound holds for.
enum class PlacementClass {
  with_copying,    // any placement, copies allowed (every kind kvsim has)
  without_copying  // one copy per head (tensor_parallel, best_effort)
};
// A provable lower bound on placement_objective (placement_cost when head_weight_tokens = 0) of every
// placement of the class, summed over layers. Per layer, with W the layer's total load, H kv heads,
// G GPUs, k = head_weight_tokens:
//   with copying:    max((W + k*H) / G, k). Copies split load arbitrarily finely, so W / G is
//                    reached with G-1 extra copies per layer when k = 0 (balanced_split finds it).
//   without copying: also the heaviest head + k, and, when H > G, the q = ceil(H/G) lightest heads
//                    + q*k (some GPU holds q heads) and the two lightest of the G+1 heaviest + 2k.
double lower_bound_cost(const ModelSpec& model, int gpus, const std::vector<double>& head_load,
                        PlacementClass cls = PlacementClass::with_copying, double head_weight_tokens = 0.0);

// How good a placement is on given loads (profiled, or the actual loads of a batch).
struct PlacementQuality {
  double cost = 0;                    // placement_cost
  double lower_bound = 0;             // lower_bound_cost, with_copying: the best any placement can do
  double lower_bound_no_copying = 0;  // lower_bound_cost, without_copying
  double cost_over_bound = 1;         // cost / lower_bound (1 = provably optimal)
  double kv_max_over_mean = 1;        // whole-model KV tokens of the fullest GPU over the mean
  std::int64_t max_weight_bytes = 0;  // weights of the GPU with the most
  nlohmann::json to_json() const;
};
PlacementQuality evaluate_placement(const Placement& placement, const ModelSpec& model,
                                    const std::vector<double>& head_load);

// Per-request evaluation on actual budgets: adds request `request_index`'s KV tokens per
// [layer * kv_heads + head] to layer_gpu_tokens[layer * gpus + gpu] of the copy that serves it.
void add_request_load(const Placement& placement, std::int64_t request_index,
                      std::span<const double> head_tokens, std::vector<double>& layer_gpu_tokens);
// sum over layers of max over GPUs of layer_gpu_tokens[layer * gpus + gpu].
double sum_of_layer_max(const std::vector<double>& layer_gpu_tokens, int layers, int gpus);

}  // namespace kvsim
