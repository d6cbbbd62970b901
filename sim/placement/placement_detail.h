// Internal to sim/placement: the resolved options, the problem every algorithm receives, and the
// pieces they share (building a Placement from per-layer GPU "slots", balancing slots across layers,
// memory accounting). Nothing outside sim/placement includes this.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sim/placement/placement.h"

namespace kvsim::placement_detail {

struct Options {
  bool equal_heads = true;
  int max_copies_per_head = 1;     // resolved: default gpus
  std::int64_t copy_budget = -1;   // extra copies over the model; -1: no budget
  double head_weight_tokens = 0;   // resolved ("auto" already turned into a number)
};

struct Problem {
  const ModelSpec* model = nullptr;
  int gpus = 0;
  const std::vector<double>* head_load = nullptr;
  Options options;
  double concurrent_requests = 0;                               // R
  double memory_limit_bytes = std::numeric_limits<double>::infinity();

  int layers() const { return model->layers; }
  int heads() const { return model->kv_heads; }
  double load(int layer, int head) const { return (*head_load)[static_cast<std::size_t>(layer) * heads() + head]; }
  double k() const { return options.head_weight_tokens; }
  std::int64_t head_weight_bytes() const { return model->attention_weight_bytes_per_kv_head(); }
  // KV bytes on a GPU per token of load (R requests' worth).
  double kv_bytes_per_load() const { return concurrent_requests * static_cast<double>(model->kv_bytes_per_head_token()); }
  std::int64_t copy_budget_or_max() const {
    const std::int64_t most = static_cast<std::int64_t>(layers()) * heads() * (gpus - 1);
    return options.copy_budget < 0 ? most : std::min(options.copy_budget, most);
  }
};

// One layer before GPUs are named: slot s holds the pieces (head, share) that will go to one GPU.
struct Piece {
  int head = 0;
  double share = 1.0;
};
using Slots = std::vector<std::vector<Piece>>;

double slot_load(const Problem& p, int layer, const std::vector<Piece>& slot);
// Per layer, which GPU each slot goes to (perm[layer][slot] = gpu), chosen so that whole-model
// per-GPU bytes (head weights + R * KV) balance: largest-spread layers first, heaviest slot to the
// emptiest GPU, then pairwise swaps within a layer while they lower the fuller GPU of the pair.
// Per-layer costs do not depend on it.
std::vector<std::vector<int>> balance_across_layers(const Problem& p, const std::vector<Slots>& layers);
Placement assemble(const Problem& p, const std::string& kind, const std::vector<Slots>& layers,
                   const std::vector<std::vector<int>>& perm);
// Weights + R * KV bytes of every GPU.
std::vector<double> gpu_memory_bytes(const Problem& p, const Placement& placement);
double fullest(const std::vector<double>& bytes);
// The most a GPU may hold once copies are added: max(limit, fullest GPU of the copy-free base).
double memory_allowance(const Problem& p, const Placement& base);

// Uniform-machine min-max ("groups" of k GPUs that share their heads through copies): used by
// best_effort's no-copy exact fallback and balanced_split. Items are loads already sorted
// descending; a group of k GPUs holding items of total S costs (S + m*k_w + (k-1)*k_w) / k for m
// items (k_w = head_weight_tokens). Returns the group of each item and the min-max value found.
struct GroupSolution {
  std::vector<int> group_of_item;
  double value = 0;
  bool exact = false;
  std::int64_t nodes = 0;
};
GroupSolution solve_groups(const std::vector<double>& items_desc, const std::vector<int>& group_gpus, double k_w,
                           std::int64_t node_limit);

Placement tensor_parallel(const Problem& p, const std::string& file, const std::string& pointer);
Placement best_effort(const Problem& p);
Placement fair_copying(const Problem& p);
Placement balanced_split(const Problem& p);

}  // namespace kvsim::placement_detail
