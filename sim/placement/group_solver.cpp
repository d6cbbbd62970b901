// solve_groups: min-max assignment of heads to "groups" of GPUs, a uniform-machine scheduling problem
// (Q||Cmax with an offset). A group of k GPUs that holds m heads of total load S can be levelled
// exactly with k - 1 extra copies (wrap-around, see balanced_split.cpp), so its per-GPU value is
// (S + k_w * (m + k - 1)) / k, k_w = head_weight_tokens. Branch and bound: heads heaviest first, each
// tried on groups in order of the value it would give them, identical groups (same size, load, count)
// tried once, branches at or above the best found cut, stop at the averaging bound or the node limit.
// Starts from LPT, so the answer is never worse than LPT; `exact` says whether the search finished.
#include <algorithm>
#include <numeric>

#include "sim/placement/placement_detail.h"

namespace kvsim::placement_detail {
namespace {

class GroupSearch {
 public:
  GroupSearch(const std::vector<double>& w, const std::vector<int>& k, double k_w, std::int64_t limit)
      : w_(w), k_(k), kw_(k_w), limit_(limit), n_(static_cast<int>(k.size())), sum_(n_, 0.0), count_(n_, 0),
        group_(w.size(), 0) {}

  GroupSolution solve() {
    double total = 0;
    int gpus = 0;
    for (double v : w_) total += v;
    for (int k : k_) gpus += k;
    bound_ = (total + kw_ * static_cast<double>(w_.size())) / gpus;
    lpt();
    improve();
    exact_ = true;
    if (best_ > bound_ * (1 + 1e-12) + 1e-12) dfs(0, 0.0);
    return {.group_of_item = best_group_, .value = best_, .exact = exact_, .nodes = nodes_};
  }

 private:
  double value_with(int g, double extra) const {
    return (sum_[g] + extra + kw_ * (count_[g] + 1 + k_[g] - 1)) / k_[g];
  }
  double value(int g) const { return count_[g] == 0 ? 0.0 : (sum_[g] + kw_ * (count_[g] + k_[g] - 1)) / k_[g]; }

  void lpt() {
    for (std::size_t j = 0; j < w_.size(); ++j) {
      int best = 0;
      for (int g = 1; g < n_; ++g)
        if (value_with(g, w_[j]) < value_with(best, w_[j])) best = g;
      sum_[best] += w_[j], ++count_[best], group_[j] = best;
    }
    best_ = 0;
    for (int g = 0; g < n_; ++g) best_ = std::max(best_, value(g));
    best_group_ = group_;
    std::fill(sum_.begin(), sum_.end(), 0.0);
    std::fill(count_.begin(), count_.end(), 0);
  }

  // Local search on the LPT answer (valuable when many heads make the tree search stop early): move a
  // head off the worst group, or swap it with a lighter one, while that lowers the pair's maximum.
  void improve() {
    const std::size_t m = w_.size();
    std::vector<double> sum(n_, 0.0);
    std::vector<int> count(n_, 0);
    for (std::size_t j = 0; j < m; ++j) sum[best_group_[j]] += w_[j], ++count[best_group_[j]];
    auto val = [&](int g, double s, int c) { return c == 0 ? 0.0 : (s + kw_ * (c + k_[g] - 1)) / k_[g]; };
    for (int round = 0; round < 4 * static_cast<int>(m) + 16; ++round) {
      int worst = 0;
      for (int g = 1; g < n_; ++g)
        if (val(g, sum[g], count[g]) > val(worst, sum[worst], count[worst])) worst = g;
      const double top = val(worst, sum[worst], count[worst]);
      double best_pair = top;
      std::size_t move_j = m, swap_i = m;
      int move_to = -1;
      for (std::size_t j = 0; j < m; ++j) {
        if (best_group_[j] != worst) continue;
        for (int g = 0; g < n_; ++g) {
          if (g == worst) continue;
          const double pair = std::max(val(worst, sum[worst] - w_[j], count[worst] - 1), val(g, sum[g] + w_[j], count[g] + 1));
          if (pair < best_pair * (1 - 1e-12)) best_pair = pair, move_j = j, move_to = g, swap_i = m;
        }
        for (std::size_t i = 0; i < m; ++i) {
          const int g = best_group_[i];
          if (g == worst || w_[i] >= w_[j]) continue;
          const double pair = std::max(val(worst, sum[worst] - w_[j] + w_[i], count[worst]), val(g, sum[g] + w_[j] - w_[i], count[g]));
          if (pair < best_pair * (1 - 1e-12)) best_pair = pair, move_j = j, move_to = g, swap_i = i;
        }
      }
      if (move_to < 0) break;
      sum[worst] -= w_[move_j], sum[move_to] += w_[move_j], best_group_[move_j] = move_to;
      if (swap_i < m) {
        sum[move_to] -= w_[swap_i], sum[worst] += w_[swap_i], best_group_[swap_i] = worst;
      } else {
        --count[worst], ++count[move_to];
      }
    }
    best_ = 0;
    for (int g = 0; g < n_; ++g) best_ = std::max(best_, val(g, sum[g], count[g]));
  }

  // Returns true when the search may stop (bound reached or node limit).
  bool dfs(std::size_t j, double current_max) {
    if (++nodes_ > limit_) {
      exact_ = false;
      return true;
    }
    if (j == w_.size()) {
      if (current_max < best_) best_ = current_max, best_group_ = group_;
      return best_ <= bound_ * (1 + 1e-12) + 1e-12;
    }
    std::vector<std::pair<double, int>> options;
    options.reserve(n_);
    for (int g = 0; g < n_; ++g) {
      bool duplicate = false;
      for (const auto& [v, o] : options)
        if (k_[o] == k_[g] && count_[o] == count_[g] && sum_[o] == sum_[g]) duplicate = true;
      if (!duplicate) options.push_back({value_with(g, w_[j]), g});
    }
    std::sort(options.begin(), options.end());
    for (const auto& [v, g] : options) {
      const double next_max = std::max(current_max, v);
      if (next_max >= best_ * (1 - 1e-12)) break;  // sorted: the rest are no better
      sum_[g] += w_[j], ++count_[g], group_[j] = g;
      const bool stop = dfs(j + 1, next_max);
      sum_[g] -= w_[j], --count_[g];
      if (stop) return true;
    }
    return false;
  }

  const std::vector<double>& w_;
  const std::vector<int>& k_;
  double kw_;
  std::int64_t limit_, nodes_ = 0;
  int n_;
  std::vector<double> sum_;
  std::vector<int> count_, group_, best_group_;
  double best_ = 0, bound_ = 0;
  bool exact_ = true;
};

}  // namespace

GroupSolution solve_groups(const std::vector<double>& items_desc, const std::vector<int>& group_gpus, double k_w,
                           std::int64_t node_limit) {
  return GroupSearch(items_desc, group_gpus, k_w, node_limit).solve();
}

}  // namespace kvsim::placement_detail
