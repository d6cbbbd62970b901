// The published per-head files in ../shared/data/head-profiles load, have the documented shapes, give
// budgets that respect each method's rule for LLaMA-3-8B, and are rejected for a model of another shape.
#include <algorithm>
#include <set>

#include "sim/budget/duoattention_source.h"
#include "sim/budget/head_profiles.h"
#include "sim/budget/headkv_source.h"
#include "sim/core/data_path.h"
#include "tests/budget/budget_test_util.h"

using namespace kvsim;
using kvsim::test::make;
using kvsim::test::require_input_error;

namespace {
const char* kHeadKv = "@head-profiles/headkv_Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json";
const char* kDuo = "@head-profiles/duoattention_Meta-Llama-3.1-8B-Instruct_full_attention_heads.tsv";
const char* kMoa = "@head-profiles/moa_gradientai-Llama-3-8B-Instruct-262k_alpha_beta.json";
std::filesystem::path real(const char* ref) { return resolve_data_path(ref, "."); }
}  // namespace

TEST_CASE("HeadKV score file loads: 32 layers x 32 q heads, scores >= 0, mass spread unevenly") {
  const HeadGrid g = read_headkv_scores(real(kHeadKv));
  REQUIRE(g.layers == 32);
  REQUIRE(g.heads == 32);
  double sum = 0, hi = 0;
  for (double s : g.values) {
    CHECK(s >= 0);
    sum += s;
    hi = std::max(hi, s);
  }
  CHECK(sum > 0);
  CHECK(hi > 10 * sum / g.values.size());  // README: per layer the top head is 3x..22x the mean
}

TEST_CASE("DuoAttention gate file loads: 32 layers x 8 kv heads in [0, 1]") {
  const HeadGrid g = read_duoattention_gates(real(kDuo));
  REQUIRE(g.layers == 32);
  REQUIRE(g.heads == 8);
  int saturated = 0;
  for (double x : g.values) {
    CHECK(x >= 0);
    CHECK(x <= 1);
    saturated += x == 1.0;
  }
  CHECK(saturated > 40);  // README: 22% of 256 are exactly 1.0
}

TEST_CASE("MoA alpha/beta file loads: 32 x 32 of each") {
  const MoaAlphaBeta ab = read_moa_alpha_beta(real(kMoa));
  CHECK(ab.alphas.layers == 32);
  CHECK(ab.alphas.heads == 32);
  CHECK(ab.betas.layers == 32);
  CHECK(ab.betas.heads == 32);
}

TEST_CASE("headkv from the real scores for LLaMA-3-8B: the pool is L*H*b, heads differ") {
  const ModelSpec m = *model_preset("llama-3-8b");
  for (const char* reduce : {"max", "mean"}) {
    auto src = make({{"kind", "headkv"}, {"budget", 160}, {"window", 32}, {"beta", 1.005}, {"scores", kHeadKv},
                     {"group_reduce", reduce}},
                    m);
    const auto& per_head = dynamic_cast<const HeadKvSource&>(*src).head_budgets();
    REQUIRE(per_head.size() == 32 * 8);
    long total = 0;
    for (int b : per_head) total += b;
    CHECK(std::abs(total - 32L * 8 * 128) <= 32 * 8 / 2);  // rounding only
    HeadBudgets b;
    src->budgets({.id = 1, .prompt_tokens = 100000, .output_tokens = 10}, b);
    CHECK(*std::max_element(b.kept.begin(), b.kept.end()) > 4 * 160);
    CHECK(*std::min_element(b.kept.begin(), b.kept.end()) >= 32);
    src->budgets({.id = 1, .prompt_tokens = 2000, .output_tokens = 10}, b);
    CHECK(*std::max_element(b.kept.begin(), b.kept.end()) <= 2000);
    CHECK(src->describe().find(reduce) != std::string::npos);
  }
}

TEST_CASE("duoattention from the real gates: sparsity 0.5 reached, 1 to 8 full heads per layer") {
  const ModelSpec m = *model_preset("llama-3-8b");
  auto src = make({{"kind", "duoattention"}, {"gates", kDuo}, {"sparsity", 0.5}}, m);
  const auto& duo = dynamic_cast<const DuoAttentionSource&>(*src);
  CHECK(duo.achieved_sparsity() == Approx(0.5));
  int fewest = 8, most = 0;
  for (int l = 0; l < 32; ++l) {
    int full = 0;
    for (int h = 0; h < 8; ++h) full += duo.is_full_head(l, h);
    fewest = std::min(fewest, full);
    most = std::max(most, full);
  }
  CHECK(fewest >= 1);
  CHECK(most == 8);
  HeadBudgets b;
  src->budgets({.id = 9, .prompt_tokens = 10000, .output_tokens = 100}, b);
  std::set<int> kept(b.kept.begin(), b.kept.end());
  CHECK(kept == std::set<int>{384, 10000});
  CHECK(src->describe().find("0.5 achieved") != std::string::npos);
}

TEST_CASE("moa from the real file: spans are multiples of 64 (or the whole prompt) and grow") {
  const ModelSpec m = *model_preset("llama-3-8b");
  auto src = make({{"kind", "moa"}, {"file", kMoa}}, m);
  HeadBudgets b;
  src->budgets({.id = 1, .prompt_tokens = 4000, .output_tokens = 1000}, b);
  bool some_grow = false, some_partial = false;
  for (std::size_t i = 0; i < b.kept.size(); ++i) {
    CHECK(b.kept[i] >= 128);
    CHECK(b.kept[i] <= 4000);
    CHECK((b.kept[i] % 64 == 0 || b.kept[i] == 4000));
    CHECK(b.growth[i] >= 0);
    CHECK(b.growth[i] <= 1.0f);
    some_grow = some_grow || b.growth[i] > 0;
    some_partial = some_partial || b.kept[i] < 4000;
  }
  CHECK(some_grow);
  CHECK(some_partial);
}

TEST_CASE("adakv with the real HeadKV profile: heavy heads get more, every layer keeps H*budget") {
  const ModelSpec m = *model_preset("llama-3-8b");
  auto src = make({{"kind", "adakv"}, {"budget", 512}, {"profile", kHeadKv}, {"group_reduce", "mean"}}, m);
  const auto mean = mean_kept_per_head(*src, m, 200, 8000, 1);
  const HeadGrid w = reduce_to_kv_heads(read_headkv_scores(real(kHeadKv)), m, GroupReduce::mean);
  int agree = 0, layers = 0;
  for (int l = 0; l < 32; ++l) {
    double total = 0;
    for (int h = 0; h < 8; ++h) total += mean[l * 8 + h];
    CHECK(total == Approx(8 * 512.0));
    // The head with the largest profile weight has the largest mean budget in most layers.
    int top_w = 0, top_b = 0;
    for (int h = 1; h < 8; ++h) {
      if (w.at(l, h) > w.at(l, top_w)) top_w = h;
      if (mean[l * 8 + h] > mean[l * 8 + top_b]) top_b = h;
    }
    agree += top_w == top_b;
    ++layers;
  }
  CHECK(agree >= layers * 3 / 4);
}

TEST_CASE("each real file is rejected for a model of another shape, naming both shapes") {
  const ModelSpec m70 = *model_preset("llama-3-70b");
  require_input_error([&] { make({{"kind", "headkv"}, {"budget", 512}, {"beta", 1.2}, {"scores", kHeadKv}}, m70); },
                      "retrieval_reasoning_heads.json", "", "found 32 layers x 32 heads");
  require_input_error([&] { make({{"kind", "adakv"}, {"budget", 512}, {"profile", kHeadKv}}, m70); },
                      "retrieval_reasoning_heads.json", "", "80 layers x 8 kv heads or 64 q heads");
  require_input_error([&] { make({{"kind", "duoattention"}, {"gates", kDuo}}, m70); }, "full_attention_heads.tsv",
                      "rows x columns", "found 32 layers x 8 heads");
  require_input_error([&] { make({{"kind", "moa"}, {"file", kMoa}}, m70); }, "alpha_beta.json", "/alphas",
                      "model llama-3-70b");
  // LLaVA-1.5-7B has 32 layers but 32 kv heads: the 8-column DuoAttention file does not fit it either.
  require_input_error([&] { make({{"kind", "duoattention"}, {"gates", kDuo}}, *model_preset("llava-1.5-7b")); },
                      "full_attention_heads.tsv", "rows x columns", "32 layers x 32 kv heads");
}
