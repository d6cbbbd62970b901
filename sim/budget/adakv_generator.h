// The score model behind kvsim's AdaKV budgets. kvsim has no model weights, so it cannot compute the
// attention scores AdaKV ranks. It draws them instead, per request and per layer, from a model that
// makes AdaKV's layer-wide top-k selection solvable in closed form (no per-token work):
//
//   head h of layer l has weight w[l,h] >= 0 (a real head profile, or a named synthetic skew);
//   request r multiplies it by lognormal noise: m = w * exp(variation * z), z ~ N(0,1) drawn from
//   (seed, request id, layer, head);
//   the head's k-th largest token score is m / k^a (Zipf curve, a = score_exponent), k = 1..n where
//   n = prompt - window is the number of candidate tokens.
//
// A token of head h is in the layer's top K scores iff m / k^a > t for the threshold t, so head h holds
// min((m/t)^(1/a), n) of them: with u = m^(1/a) the counts are c_h = min(u_h * T, n), T chosen so that
// they sum to K (fill_topk_counts). That is the model's exact top-k up to whole tokens: a brute-force
// top-k over materialised scores has the same total and differs by less than 1 + H * (the head's share
// of the weight) tokens per head (tests/budget/test_adakv_generator.cpp).
// AdaKV then gives head h  floor(alpha*b) + (1 - alpha) * c_h  tokens plus the window (adakv_split).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvsim {

// Inverse of the standard normal CDF, p in (0, 1) (Acklam's rational approximation, relative error
// below 1.2e-9). Used instead of std::normal_distribution, whose output differs between libraries.
double normal_quantile(double p);

// 4096 equiprobable standard-normal quantiles z_i = Phi^-1((i + 0.5) / 4096): one table lookup with
// 12 random bits draws z. Fast, and identical on every machine whose libm agrees on log and sqrt.
const std::array<double, 4096>& normal_quantile_table();

// Synthetic per-head weights, [layer * heads + head]:
//   "uniform"        every head 1
//   "zipf-S"         within each layer the heads, in a seeded random order, get 1, 2^-S, 3^-S, ...
//   "lognormal-S"    exp(S * z) with z ~ N(0,1) drawn per (layer, head) from the seed
// S is a number in [0, 10]. Returns false (weights untouched) if `spec` is none of these.
bool skew_weights(std::string_view spec, int layers, int heads, std::uint64_t seed, std::vector<double>& weights);

// counts[h] = min(u[h] * T, cap) with T such that the counts sum to `total` (0 <= total <= heads*cap).
// Heads whose share would exceed the cap are pinned to it and the rest re-shared (water-filling).
void fill_topk_counts(const double* u, int heads, double total, double cap, double* counts);

// AdaKV's per-head budgets of one layer (AdaptiveSnapKVCluster in FFY0/AdaKV and FYYFU/HeadKV):
// kept[h] = window + floor(alpha*b) + (1 - alpha) * counts[h], rounded so that the layer's total is
// the rounded total of the unrounded values (cumulative rounding: each head is within one token).
// counts[h] = scale * x[h] is each head's share of the layer's top heads*b scores (b = budget - window).
void adakv_split(const double* x, double scale, int heads, int b, double alpha, int window, std::int32_t* kept);

}  // namespace kvsim
