// The AdaKV score generator: the closed form against a brute-force top-k over materialised token
// scores, determinism, the per-layer rule (total H*budget, floor alpha*b, at most the prompt) and
// the per-request variation.
#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/budget/adakv_generator.h"
#include "sim/core/rng.h"
#include "tests/budget/budget_test_util.h"

using namespace kvsim;
using kvsim::test::make;

namespace {

// Materialises head h's scores m_h / k^a (k = 1..n) for every head, takes the top `total` of all of
// them, and counts each head's share: what AdaKV's torch.topk over the flattened layer does.
std::vector<int> brute_force_counts(const std::vector<double>& u, double a, int n, int total) {
  std::vector<std::pair<double, int>> scores;
  for (std::size_t h = 0; h < u.size(); ++h) {
    const double m = std::pow(u[h], a);  // u = m^(1/a)
    for (int k = 1; k <= n; ++k) scores.emplace_back(m / std::pow(k, a), static_cast<int>(h));
  }
  std::nth_element(scores.begin(), scores.begin() + total, scores.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  std::vector<int> counts(u.size(), 0);
  for (int i = 0; i < total; ++i) ++counts[scores[i].second];
  return counts;
}

}  // namespace

TEST_CASE("closed-form top-k counts agree with a brute-force top-k up to whole tokens") {
  Rng rng(11);
  for (double a : {0.6, 1.0, 1.7}) {
    for (int n : {2000, 350}) {  // 350: the caps bind for the heavy heads
      for (int trial = 0; trial < 5; ++trial) {
        std::vector<double> u(6);
        for (double& x : u) x = std::exp(1.5 * rng.normal());
        const int total = 6 * 300;
        std::vector<double> c(u.size());
        fill_topk_counts(u.data(), 6, total, n, c.data());
        const auto exact = brute_force_counts(u, a, n, total);
        // The brute force counts whole tokens (floor of each head's count at a slightly higher
        // threshold); the closed form is the continuous count: head h differs by less than
        // 1 + H * (its share of the weight), and the totals agree.
        double sum = 0, weight = 0;
        for (double x : u) weight += x;
        for (std::size_t h = 0; h < u.size(); ++h) {
          INFO("a " << a << " n " << n << " head " << h);
          CHECK(std::abs(c[h] - exact[h]) < 1.0 + 6 * u[h] / weight);
          CHECK(c[h] <= n);
          sum += c[h];
        }
        CHECK(sum == Approx(total));
      }
    }
  }
}

TEST_CASE("normal_quantile matches the standard normal") {
  CHECK(normal_quantile(0.5) == Approx(0.0).margin(1e-12));
  CHECK(normal_quantile(0.975) == Approx(1.959963985).epsilon(1e-8));
  CHECK(normal_quantile(0.025) == Approx(-1.959963985).epsilon(1e-8));
  CHECK(normal_quantile(0.8413447461) == Approx(1.0).epsilon(1e-7));
  CHECK(normal_quantile(1e-5) == Approx(-4.264890794).epsilon(1e-7));
  const auto& t = normal_quantile_table();
  double mean = 0, var = 0;
  for (double z : t) mean += z;
  mean /= t.size();
  for (double z : t) var += (z - mean) * (z - mean);
  var /= t.size();
  CHECK(mean == Approx(0.0).margin(1e-9));
  CHECK(var == Approx(1.0).epsilon(0.01));
}

TEST_CASE("adakv: every layer keeps H*budget, each head at least window + floor, at most the prompt") {
  const ModelSpec m = *model_preset("llama-3-70b");
  // b = 480, alpha 0.2: floor 96 (alpha*b integral, so the layer total is exactly 8 * 512).
  auto src = make({{"kind", "adakv"}, {"budget", 512}, {"window", 32}, {"alpha", 0.2}, {"skew", "lognormal-1.0"},
                   {"variation", 0.5}},
                  m);
  HeadBudgets b;
  for (int prompt : {600, 2048, 30000}) {
    for (std::int64_t id = 0; id < 20; ++id) {
      src->budgets({.id = id, .prompt_tokens = prompt, .output_tokens = 100}, b);
      REQUIRE(b.layers == 80);
      REQUIRE(b.kv_heads == 8);
      for (int l = 0; l < b.layers; ++l) {
        int total = 0;
        for (int h = 0; h < b.kv_heads; ++h) {
          const int k = b.at(l, h);
          total += k;
          CHECK(k >= 32 + 96);
          CHECK(k <= prompt);
        }
        CHECK(total == 8 * 512);
      }
    }
  }
  src->budgets({.id = 3, .prompt_tokens = 400, .output_tokens = 1}, b);  // shorter than the budget
  for (int k : b.kept) CHECK(k == 400);
}

TEST_CASE("adakv budgets are deterministic per (seed, request id) and vary between requests") {
  const ModelSpec m = *model_preset("llama-3-8b");
  const nlohmann::json policy{{"kind", "adakv"}, {"budget", 256}, {"skew", "zipf-1.0"}, {"variation", 0.3}};
  auto a = make(policy, m, ".", 42);
  auto a2 = make(policy, m, ".", 42);
  auto other_seed = make(policy, m, ".", 43);
  HeadBudgets x, y, z;
  a->budgets({.id = 17, .prompt_tokens = 4000, .output_tokens = 10}, x);
  a2->budgets({.id = 17, .prompt_tokens = 4000, .output_tokens = 10}, y);
  CHECK(x.kept == y.kept);
  a->budgets({.id = 18, .prompt_tokens = 4000, .output_tokens = 10}, z);
  CHECK(x.kept != z.kept);
  other_seed->budgets({.id = 17, .prompt_tokens = 4000, .output_tokens = 10}, z);
  CHECK(x.kept != z.kept);
  // The same request asked twice gives the same answer (no hidden state).
  a->budgets({.id = 17, .prompt_tokens = 4000, .output_tokens = 10}, z);
  CHECK(x.kept == z.kept);
}

TEST_CASE("adakv variation: zero gives one split for all requests, more gives a wider spread") {
  const ModelSpec m = *model_preset("llama-3-8b");
  auto spread = [&](double variation) {
    auto src = make({{"kind", "adakv"}, {"budget", 512}, {"skew", "uniform"}, {"variation", variation}}, m);
    HeadBudgets b;
    double sum = 0, sum2 = 0;
    const int n = 200;
    for (int id = 0; id < n; ++id) {
      src->budgets({.id = id, .prompt_tokens = 8000, .output_tokens = 1}, b);
      sum += b.at(5, 3);
      sum2 += static_cast<double>(b.at(5, 3)) * b.at(5, 3);
    }
    const double mean = sum / n;
    return std::pair{mean, std::sqrt(std::max(0.0, sum2 / n - mean * mean))};
  };
  const auto [mean0, sd0] = spread(0.0);
  const auto [mean3, sd3] = spread(0.3);
  const auto [mean8, sd8] = spread(0.8);
  CHECK(mean0 == Approx(512));
  CHECK(sd0 == Approx(0).margin(1e-9));
  CHECK(mean3 == Approx(512).epsilon(0.05));  // uniform weights: every head averages the budget
  CHECK(sd3 > 20);
  CHECK(sd8 > sd3);
}

TEST_CASE("adakv head weights order the mean budgets (zipf skew)") {
  const ModelSpec m = *model_preset("mistral-small-24b");
  auto src = make({{"kind", "adakv"}, {"budget", 1024}, {"skew", "zipf-1.5"}, {"variation", 0.3}}, m);
  const auto mean = mean_kept_per_head(*src, m, 300, 16000, 5);
  REQUIRE(mean.size() == 40 * 8);
  for (int l = 0; l < m.layers; ++l) {
    const auto begin = mean.begin() + l * 8;
    const double hi = *std::max_element(begin, begin + 8), lo = *std::min_element(begin, begin + 8);
    double total = 0;
    for (int h = 0; h < 8; ++h) total += begin[h];
    // b = 992, alpha*b = 198.4 is not integral: 8*32 + 8*198 + 0.8*8*992 = 8188.8 -> 8189 (AdaKV's rule).
    CHECK(total == Approx(8189.0).epsilon(1e-12));
    CHECK(hi > 2.5 * lo);  // rank 1 vs rank 8 of zipf-1.5: weights 1 : 0.044, floor at 0.2*b
  }
}

TEST_CASE("adakv stays finite and keeps its rule at the extremes of its parameters") {
  const ModelSpec m = *model_preset("llava-1.5-7b");  // 32 kv heads per layer
  auto src = make({{"kind", "adakv"}, {"budget", 256}, {"window", 0}, {"alpha", 0.0}, {"skew", "lognormal-10"},
                   {"score_exponent", 0.1}, {"variation", 3.0}},
                  m);
  HeadBudgets b;
  for (std::int64_t id = 0; id < 50; ++id) {
    src->budgets({.id = id, .prompt_tokens = 300, .output_tokens = 1}, b);  // caps bind: n = 300 vs b = 256
    for (int l = 0; l < m.layers; ++l) {
      int total = 0;
      for (int h = 0; h < m.kv_heads; ++h) {
        CHECK(b.at(l, h) >= 0);
        CHECK(b.at(l, h) <= 300);
        total += b.at(l, h);
      }
      CHECK(total == 32 * 256);
    }
  }
}
