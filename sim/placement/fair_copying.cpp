// fair_copying: FairKV's Fair-Copying on top of best_effort. A replicated head keeps one copy per GPU
// it is on; each copy stores the KV of, and computes attention for, a disjoint share of the requests
// (Placement::copy_for_request), and its projection weights are charged to its GPU.
//
// Objective: minimise placement_objective = sum over layers of max over GPUs of
// (load + head_weight_tokens * copies), subject to the copy budget, max_copies_per_head and memory
// (no GPU above max(limit, fullest GPU of the best_effort base), with R = expected_concurrent_requests
// requests' KV). Method (greedy, as FairKV describes it): for every layer the candidate is "take the
// heaviest head on the layer's bottleneck GPU, add a copy on the least-loaded GPU not holding it
// (the next least-loaded if memory does not allow), and re-split the head's shares by water-filling
// so the GPUs holding it end level" (shares may differ). Each round applies the candidate with the
// largest cost reduction over all layers, and only if it reduces the cost; it stops when the budget is
// spent or no candidate improves. A layer whose maximum is held by two GPUs with different heads is
// stuck for this greedy (one copy cannot lower both); balanced_split has no such blind spot.
#include <algorithm>
#include <numeric>
#include <optional>

#include "sim/placement/placement_detail.h"

namespace kvsim::placement_detail {
namespace {

struct Candidate {
  int layer = 0, head = 0;
  std::vector<HeadCopy> copies;  // the head's copies after the change
  double gain = 0;
  std::int64_t version = -1;     // memory version it was checked against
};

// Water-filling: shares s_i >= 0, sum 1, minimising max_i(other_i + s_i * w): fill the lowest first.
std::vector<double> water_fill(const std::vector<double>& other, double w) {
  const int n = static_cast<int>(other.size());
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return other[a] < other[b]; });
  double sum = 0, level = 0;
  for (int i = 0; i < n; ++i) {
    sum += other[order[i]];
    level = (w + sum) / (i + 1);
    if (i + 1 == n || level <= other[order[i + 1]]) break;
  }
  std::vector<double> share(n);
  for (int i = 0; i < n; ++i) share[i] = std::max(0.0, level - other[i]) / w;
  return share;
}

class FairCopying {
 public:
  explicit FairCopying(const Problem& p) : p_(p), base_(best_effort(p)) {
    G_ = p.gpus;
    copies_ = base_.copies;
    load_ = base_.layer_gpu_load(*p.head_load);
    count_.assign(load_.size(), 0);
    for (int l = 0; l < p.layers(); ++l)
      for (int h = 0; h < p.heads(); ++h)
        for (const HeadCopy& c : head(l, h)) ++count_[idx(l, c.gpu)];
    mem_ = gpu_memory_bytes(p, base_);
    allowance_ = memory_allowance(p, base_);
  }

  Placement run() {
    const std::int64_t budget = p_.copy_budget_or_max();
    std::vector<std::optional<Candidate>> cand(p_.layers());
    for (int l = 0; l < p_.layers(); ++l) cand[l] = best_candidate(l);
    const double before = objective();
    while (extra_ < budget) {
      int pick = -1;
      for (int l = 0; l < p_.layers(); ++l)
        if (cand[l] && (pick < 0 || cand[l]->gain > cand[pick]->gain)) pick = l;
      if (pick < 0) break;
      if (cand[pick]->version != version_) {  // memory changed since: re-check before applying
        cand[pick] = best_candidate(pick);
        continue;
      }
      apply(*cand[pick]);
      cand[pick] = best_candidate(pick);
    }
    Placement out = base_;
    out.kind = "fair_copying";
    out.copies = copies_;
    out.search = {{"base", "best_effort"},           {"equal_heads", p_.options.equal_heads},
                  {"head_weight_tokens", p_.k()},    {"extra_copies", extra_},
                  {"objective_base", before},        {"objective", objective()},
                  {"memory_allowance_bytes", allowance_ == std::numeric_limits<double>::infinity() ? -1.0 : allowance_}};
    return out;
  }

 private:
  std::size_t idx(int l, int g) const { return static_cast<std::size_t>(l) * G_ + g; }
  std::vector<HeadCopy>& head(int l, int h) { return copies_[static_cast<std::size_t>(l) * p_.heads() + h]; }
  double J(int l, int g) const { return load_[idx(l, g)] + p_.k() * count_[idx(l, g)]; }
  double objective() const {
    double s = 0;
    for (int l = 0; l < p_.layers(); ++l) {
      double m = 0;
      for (int g = 0; g < G_; ++g) m = std::max(m, J(l, g));
      s += m;
    }
    return s;
  }

  std::optional<Candidate> best_candidate(int l) {
    int b = 0;
    for (int g = 1; g < G_; ++g)
      if (J(l, g) > J(l, b)) b = g;
    const double current = J(l, b);
    // Heads with a copy on the bottleneck GPU, heaviest piece first.
    std::vector<std::pair<double, int>> on_b;
    for (int h = 0; h < p_.heads(); ++h)
      for (const HeadCopy& c : head(l, h))
        if (c.gpu == b) on_b.push_back({c.share * p_.load(l, h), h});
    std::stable_sort(on_b.begin(), on_b.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    for (const auto& [piece, h] : on_b) {
      const double w = p_.load(l, h);
      const std::vector<HeadCopy>& now = head(l, h);
      if (w <= 0 || static_cast<int>(now.size()) >= p_.options.max_copies_per_head) continue;
      std::vector<int> targets;
      for (int g = 0; g < G_; ++g)
        if (std::none_of(now.begin(), now.end(), [g](const HeadCopy& c) { return c.gpu == g; })) targets.push_back(g);
      std::stable_sort(targets.begin(), targets.end(), [&](int x, int y) { return J(l, x) < J(l, y); });
      for (int t : targets) {
        std::vector<int> gpus;
        std::vector<double> other, old_share;
        for (const HeadCopy& c : now) gpus.push_back(c.gpu), other.push_back(J(l, c.gpu) - c.share * w), old_share.push_back(c.share);
        gpus.push_back(t), other.push_back(J(l, t) + p_.k()), old_share.push_back(0.0);
        const std::vector<double> share = water_fill(other, w);
        if (share.back() <= 0) break;  // the least-loaded target already gets nothing: no gain anywhere
        double new_max = 0;
        std::vector<bool> in_set(G_, false);
        for (int g : gpus) in_set[g] = true;
        for (int g = 0; g < G_; ++g)
          if (!in_set[g]) new_max = std::max(new_max, J(l, g));
        bool fits = true;
        Candidate c;
        c.layer = l, c.head = h, c.version = version_;
        for (std::size_t i = 0; i < gpus.size(); ++i) {
          const bool kept = share[i] > 0, was = i + 1 < gpus.size();
          new_max = std::max(new_max, other[i] + share[i] * w - (kept ? 0.0 : p_.k()));
          const double bytes = mem_[gpus[i]] + p_.kv_bytes_per_load() * (share[i] - old_share[i]) * w +
                               static_cast<double>(p_.head_weight_bytes()) * ((kept ? 1 : 0) - (was ? 1 : 0));
          if (bytes > allowance_ * (1 + 1e-12) && bytes > mem_[gpus[i]]) fits = false;
          if (kept) c.copies.push_back({gpus[i], share[i]});
        }
        c.gain = current - new_max;
        if (c.gain <= 1e-12 * current) break;  // farther targets only do worse
        if (!fits) continue;
        return c;
      }
    }
    return std::nullopt;
  }

  void apply(const Candidate& c) {
    std::vector<HeadCopy>& now = head(c.layer, c.head);
    const double w = p_.load(c.layer, c.head);
    const double head_bytes = static_cast<double>(p_.head_weight_bytes());
    for (const HeadCopy& old : now) {
      load_[idx(c.layer, old.gpu)] -= old.share * w;
      --count_[idx(c.layer, old.gpu)];
      mem_[old.gpu] -= p_.kv_bytes_per_load() * old.share * w + head_bytes;
    }
    for (const HeadCopy& nc : c.copies) {
      load_[idx(c.layer, nc.gpu)] += nc.share * w;
      ++count_[idx(c.layer, nc.gpu)];
      mem_[nc.gpu] += p_.kv_bytes_per_load() * nc.share * w + head_bytes;
    }
    extra_ += static_cast<std::int64_t>(c.copies.size()) - static_cast<std::int64_t>(now.size());
    now = c.copies;
    std::sort(now.begin(), now.end(), [](const HeadCopy& a, const HeadCopy& b) { return a.gpu < b.gpu; });
    double sum = 0;
    for (const HeadCopy& hc : now) sum += hc.share;
    for (HeadCopy& hc : now) hc.share /= sum;
    ++version_;
  }

  const Problem& p_;
  Placement base_;
  int G_ = 0;
  std::vector<std::vector<HeadCopy>> copies_;
  std::vector<double> load_;   // [layer * gpus + gpu] tokens
  std::vector<int> count_;     // [layer * gpus + gpu] head copies
  std::vector<double> mem_;    // bytes per GPU
  double allowance_ = 0;
  std::int64_t extra_ = 0, version_ = 0;
};

}  // namespace

Placement fair_copying(const Problem& p) { return FairCopying(p).run(); }

}  // namespace kvsim::placement_detail
