// balanced_split (kvsim's own placement): per-layer min-max with a chosen number of extra copies,
// and the copy budget spread over layers by dynamic programming.
//
// Why it is exact per layer. Draw a layer as a bipartite graph of heads and GPUs, one edge per copy.
// A connected component of k GPUs and m heads has >= m + k - 1 edges, i.e. >= k - 1 extra copies, and
// k - 1 are enough to level it exactly: lay its heads end to end and cut at multiples of the level
// (McNaughton's wrap-around rule). So with c extra copies the best layer maximum is
//     f(c) = min over partitions of the G GPUs into G - c groups (sizes k_i) and of the heads among
//            the groups of max_i (S_i + k_w * (m_i + k_i - 1)) / k_i
// (k_w = head_weight_tokens; with k_w = 0 this is exact, with k_w > 0 the level is exact whenever no
// piece is thinner than k_w). For each c in 0..G-1 kvsim enumerates the integer partitions of G into
// G - c parts and solves each by branch and bound (solve_groups; exact unless its node limit is hit,
// which "search.inexact_groups" reports; 0 for LLaMA-3-70B). f(G-1) = W/G, the lower bound.
//
// Objective: minimise placement_objective = sum over layers of f_l(c_l) subject to sum c_l <= copy
// budget, max_copies_per_head, and memory (extra copies' weights fit: no GPU above max(limit, fullest
// GPU of the copy-free solution)). A multiple-choice knapsack DP over layers picks the c_l (exact for
// the budget); the layers' GPU groups are then permuted onto physical GPUs to balance whole-model
// bytes (balance_across_layers); if the fullest GPU is still over the allowance, the budget shrinks
// and the DP runs again. Last, the result is compared on the objective with fair_copying's (with and
// without equal_heads) and the best is returned ("search.chosen"), so balanced_split is never worse
// than best_effort + fair_copying and beats them whenever their greedy leaves a layer above f_l.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "sim/placement/placement_detail.h"

namespace kvsim::placement_detail {
namespace {

constexpr std::int64_t kNodeLimitPerSearch = 4000;

struct LayerOption {
  int extra = 0;     // extra copies it uses
  double value = 0;  // max over its slots of (load + k_w * copies)
  Slots slots;
};

void partitions(int total, int parts, int largest, std::vector<int>& prefix, std::vector<std::vector<int>>& out) {
  if (parts == 0) {
    if (total == 0) out.push_back(prefix);
    return;
  }
  for (int k = std::min(largest, total - (parts - 1)); k >= 1; --k) {
    if (k * parts < total) break;  // the remaining parts cannot reach the total
    prefix.push_back(k);
    partitions(total - k, parts - 1, k, prefix, out);
    prefix.pop_back();
  }
}

// Wrap-around: each group's heads, heaviest first, poured into its GPUs up to the group's level.
Slots wrap_around(const Problem& p, int layer, const std::vector<int>& heads_desc, const std::vector<int>& group_gpus,
                  const std::vector<int>& group_of_item) {
  Slots slots(p.gpus);
  int first_slot = 0;
  const double k_w = p.k();
  for (std::size_t g = 0; g < group_gpus.size(); ++g) {
    const int k = group_gpus[g];
    std::vector<int> members;
    double total = 0;
    for (std::size_t j = 0; j < heads_desc.size(); ++j)
      if (group_of_item[j] == static_cast<int>(g)) members.push_back(heads_desc[j]), total += p.load(layer, heads_desc[j]);
    if (!members.empty()) {
      const double level = (total + k_w * (static_cast<double>(members.size()) + k - 1)) / k;
      const double eps = 1e-9 * std::max(level, 1.0);
      int slot = first_slot;
      double room = level;
      for (int h : members) {
        const double w = p.load(layer, h);
        if (w <= 0) {
          slots[slot].push_back({h, 1.0});
          room -= k_w;
          continue;
        }
        double left = w;
        while (left > 0) {
          const bool last = slot == first_slot + k - 1;
          if (last || k_w + left <= room + eps) {
            slots[slot].push_back({h, left / w});
            room -= k_w + left;
            left = 0;
          } else {
            const double piece = room - k_w;
            if (piece > eps) slots[slot].push_back({h, piece / w}), left -= piece;
            ++slot, room = level;
          }
        }
      }
    }
    first_slot += k;
  }
  return slots;
}

std::vector<LayerOption> layer_options(const Problem& p, int layer, int max_extra, std::int64_t& nodes, int& inexact) {
  const int H = p.heads(), G = p.gpus;
  std::vector<int> heads(H);
  std::iota(heads.begin(), heads.end(), 0);
  std::stable_sort(heads.begin(), heads.end(), [&](int a, int b) { return p.load(layer, a) > p.load(layer, b); });
  std::vector<double> w(H);
  for (int j = 0; j < H; ++j) w[j] = p.load(layer, heads[j]);

  std::vector<LayerOption> options;
  for (int c = 0; c <= std::min(max_extra, G - 1); ++c) {
    std::vector<std::vector<int>> shapes;
    std::vector<int> prefix;
    partitions(G, G - c, G, prefix, shapes);
    std::vector<std::pair<GroupSolution, std::vector<int>>> solved;
    bool all_exact = true;
    for (const auto& shape : shapes) {
      GroupSolution s = solve_groups(w, shape, p.k(), kNodeLimitPerSearch);
      nodes += s.nodes;
      all_exact = all_exact && s.exact;
      solved.emplace_back(std::move(s), shape);
    }
    if (!all_exact) ++inexact;
    std::stable_sort(solved.begin(), solved.end(),
                     [](const auto& a, const auto& b) { return a.first.value < b.first.value; });
    // The best group shape whose wrap-around respects max_copies_per_head.
    bool feasible = false;
    LayerOption o;
    for (const auto& [solution, shape] : solved) {
      o = LayerOption{.slots = wrap_around(p, layer, heads, shape, solution.group_of_item)};
      std::vector<int> pieces(H, 0);
      for (const auto& slot : o.slots) {
        for (const Piece& piece : slot) ++pieces[piece.head];
        o.value = std::max(o.value, slot_load(p, layer, slot) + p.k() * static_cast<double>(slot.size()));
      }
      o.extra = std::accumulate(pieces.begin(), pieces.end(), 0) - H;
      feasible = *std::max_element(pieces.begin(), pieces.end()) <= p.options.max_copies_per_head;
      if (feasible) break;
    }
    if (!feasible) continue;
    options.push_back(std::move(o));
  }
  // Pareto front: by extra copies ascending, each kept option strictly better than all cheaper ones.
  std::stable_sort(options.begin(), options.end(), [](const LayerOption& a, const LayerOption& b) {
    return a.extra < b.extra || (a.extra == b.extra && a.value < b.value);
  });
  std::vector<LayerOption> front;
  for (LayerOption& o : options)
    if (front.empty() || o.value < front.back().value * (1 - 1e-12)) front.push_back(std::move(o));
  options = std::move(front);
  return options;
}

// Multiple-choice knapsack: per layer one option, sum of extras <= budget, minimum total value.
std::vector<int> choose(const std::vector<std::vector<LayerOption>>& options, std::int64_t budget) {
  const int L = static_cast<int>(options.size());
  const auto B = static_cast<std::size_t>(budget);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> dp(B + 1, 0.0), next(B + 1);
  std::vector<std::vector<int>> pick(L, std::vector<int>(B + 1, 0));
  for (int l = 0; l < L; ++l) {
    for (std::size_t b = 0; b <= B; ++b) {
      next[b] = inf;
      for (std::size_t i = 0; i < options[l].size(); ++i) {
        const auto e = static_cast<std::size_t>(options[l][i].extra);
        if (e > b || dp[b - e] == inf) continue;
        if (dp[b - e] + options[l][i].value < next[b]) next[b] = dp[b - e] + options[l][i].value, pick[l][b] = static_cast<int>(i);
      }
    }
    std::swap(dp, next);
  }
  std::vector<int> chosen(L);
  std::size_t b = static_cast<std::size_t>(std::min_element(dp.begin(), dp.end()) - dp.begin());
  for (int l = L - 1; l >= 0; --l) {
    chosen[l] = pick[l][b];
    b -= static_cast<std::size_t>(options[l][chosen[l]].extra);
  }
  return chosen;
}

Placement build(const Problem& p, const std::vector<std::vector<LayerOption>>& options, const std::vector<int>& chosen) {
  std::vector<Slots> layers(p.layers());
  for (int l = 0; l < p.layers(); ++l) layers[l] = options[l][chosen[l]].slots;
  return assemble(p, "balanced_split", layers, balance_across_layers(p, layers));
}

}  // namespace

Placement balanced_split(const Problem& p) {
  const int L = p.layers();
  const std::int64_t budget = p.copy_budget_or_max();
  const int max_extra_per_layer = p.options.max_copies_per_head <= 1 ? 0 : p.gpus - 1;
  std::int64_t nodes = 0;
  int inexact = 0;
  std::vector<std::vector<LayerOption>> options(L);
  std::int64_t most_useful = 0;
  for (int l = 0; l < L; ++l) {
    options[l] = layer_options(p, l, max_extra_per_layer, nodes, inexact);
    most_useful += options[l].back().extra;
  }
  const Placement base = build(p, options, std::vector<int>(L, 0));
  const double allowance = memory_allowance(p, base);
  std::int64_t cap = std::min(budget, most_useful);
  if (allowance != std::numeric_limits<double>::infinity()) {
    double base_total = 0;
    for (double b : gpu_memory_bytes(p, base)) base_total += b;
    const double room = (p.gpus * allowance - base_total) / static_cast<double>(p.head_weight_bytes());
    cap = std::min<std::int64_t>(cap, static_cast<std::int64_t>(std::floor(std::max(room, 0.0))));
  }
  Placement split = base;
  int dp_runs = 0;
  while (cap > 0) {
    ++dp_runs;
    const std::vector<int> chosen = choose(options, cap);
    Placement candidate = build(p, options, chosen);
    const double over = fullest(gpu_memory_bytes(p, candidate)) - allowance;
    if (over <= allowance * 1e-12) {
      split = std::move(candidate);
      break;
    }
    const auto step = static_cast<std::int64_t>(std::ceil(over / static_cast<double>(p.head_weight_bytes())));
    cap = std::min<std::int64_t>(cap, candidate.extra_copies()) - std::max<std::int64_t>(1, step);
  }
  const double split_objective = placement_objective(split, *p.head_load, p.k());

  // Portfolio with FairKV's greedy: never return something worse than it.
  Placement best = split;
  double best_objective = split_objective;
  std::string chosen = "split";
  nlohmann::json fair_objectives = nlohmann::json::object();
  for (bool equal : {false, true}) {
    Problem q = p;
    q.options.equal_heads = equal;
    Placement fair = fair_copying(q);
    const double objective = placement_objective(fair, *p.head_load, p.k());
    fair_objectives[equal ? "equal_heads" : "unequal_heads"] = objective;
    if (objective < best_objective * (1 - 1e-12)) {
      best = std::move(fair), best_objective = objective;
      chosen = equal ? "fair_copying_equal_heads" : "fair_copying";
    }
  }
  best.kind = "balanced_split";
  best.search = {{"chosen", chosen},
                 {"head_weight_tokens", p.k()},
                 {"objective", best_objective},
                 {"objective_split", split_objective},
                 {"objective_fair_copying", fair_objectives},
                 {"extra_copies_split", split.extra_copies()},
                 {"dp_runs", dp_runs},
                 {"search_nodes", nodes},
                 {"inexact_groups", inexact}};
  return best;
}

}  // namespace kvsim::placement_detail
