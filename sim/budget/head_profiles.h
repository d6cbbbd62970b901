// Readers of the published per-head statistics (../shared/data/head-profiles/README.md) and of any
// file of the same kind for another model, plus the reduction of q-head data to kv heads.
//   HeadKV score files:  {"layer-head": [score per test, ...], ...}  -> mean score per (layer, q head)
//   DuoAttention gates:  TSV, one row per layer, one tab-separated gate in [0, 1] per kv head
//   MoA spans:           {"alphas": [[...]], "betas": [[...]]}      -> alpha, beta per (layer, q head)
// Every reader checks the file's own structure (InputError with the file and the JSON pointer or TSV
// line); to_kv_heads() checks the shape against the model.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sim/model/model_spec.h"
#include "sim/scenario/json_reader.h"

namespace kvsim {

// How q-head data becomes kv-head data: kv head g serves q heads g*G .. g*G+G-1 (G = group size).
// max keeps what the most demanding q head of the group needs (a GQA cache must hold the union of its
// q heads' tokens); mean spreads the group's need evenly.
enum class GroupReduce { max, mean };

std::string_view group_reduce_name(GroupReduce reduce);
// Reads the optional "group_reduce" key ("max" or "mean").
GroupReduce read_group_reduce(const JsonReader& policy, GroupReduce fallback);

// Per-head values of one file, row-major: values[layer * heads + head].
struct HeadGrid {
  int layers = 0;
  int heads = 0;
  std::vector<double> values;
  double at(int layer, int head) const { return values[static_cast<std::size_t>(layer) * heads + head]; }
};

HeadGrid read_headkv_scores(const std::filesystem::path& file);
HeadGrid read_duoattention_gates(const std::filesystem::path& file);
struct MoaAlphaBeta {
  HeadGrid alphas, betas;
};
MoaAlphaBeta read_moa_alpha_beta(const std::filesystem::path& file);

// Reads a rectangular array of arrays of numbers in [min, max] (pointer of each bad value in errors).
HeadGrid read_number_grid(const JsonReader& array, double min, double max);

// Checks that `grid` has the model's layers and either its q heads or its kv heads. `file` and `where`
// (JSON pointer, "" for the root, or "rows x columns" for a TSV) locate the data in the message, `what` names it.
void check_head_shape(const HeadGrid& grid, const ModelSpec& model, const std::string& file,
                          const std::string& where, std::string_view what);
// q-head data (heads == q_heads) reduced to kv heads; kv-head data is returned unchanged.
HeadGrid reduce_to_kv_heads(const HeadGrid& grid, const ModelSpec& model, GroupReduce reduce);

// Resolves the data-file path under `key` of a kv_policy ("@head-profiles/NAME" or relative to
// base_dir); a missing file is an InputError at that key.
std::filesystem::path policy_data_file(const JsonReader& policy, std::string_view key,
                                       const std::filesystem::path& base_dir);

}  // namespace kvsim
