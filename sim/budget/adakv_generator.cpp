// See adakv_generator.h.
#include "sim/budget/adakv_generator.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "sim/core/rng.h"

namespace kvsim {

double normal_quantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  constexpr double low = 0.02425;
  if (p < low) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normal_quantile(1 - p);
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

const std::array<double, 4096>& normal_quantile_table() {
  static const std::array<double, 4096> table = [] {
    std::array<double, 4096> t{};
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = normal_quantile((static_cast<double>(i) + 0.5) / 4096.0);
    return t;
  }();
  return table;
}

bool skew_weights(std::string_view spec, int layers, int heads, std::uint64_t seed, std::vector<double>& weights) {
  const std::size_t count = static_cast<std::size_t>(layers) * heads;
  if (spec == "uniform") {
    weights.assign(count, 1.0);
    return true;
  }
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return false;
  const std::string_view family = spec.substr(0, dash);
  const std::string number(spec.substr(dash + 1));
  char* end = nullptr;
  const double s = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !(s >= 0 && s <= 10)) return false;
  Rng rng(mix_seed(seed, 0x736b6577 /* "skew" */));
  if (family == "zipf") {
    weights.assign(count, 0.0);
    std::vector<int> order(static_cast<std::size_t>(heads));
    for (int l = 0; l < layers; ++l) {
      std::iota(order.begin(), order.end(), 0);
      for (int i = heads - 1; i > 0; --i) std::swap(order[i], order[rng.uniform_int(0, i)]);  // Fisher-Yates
      for (int rank = 0; rank < heads; ++rank)
        weights[static_cast<std::size_t>(l) * heads + order[rank]] = std::pow(rank + 1.0, -s);
    }
    return true;
  }
  if (family == "lognormal") {
    weights.assign(count, 0.0);
    for (double& w : weights) w = std::exp(s * normal_quantile(std::max(rng.uniform(), 1e-300)));
    return true;
  }
  return false;
}

void fill_topk_counts(const double* u, int heads, double total, double cap, double* counts) {
  // counts[h] < 0 marks a head not pinned to the cap yet. Pinning only raises T, so a pinned head
  // stays pinned; at most `heads` passes, usually one. The free weight is summed afresh each pass:
  // subtracting pinned heads from a running sum cancels badly when one head carries nearly all.
  for (int h = 0; h < heads; ++h) counts[h] = -1;
  double rest = total;
  for (int pass = 0; pass < heads; ++pass) {
    double free_weight = 0;
    int free_heads = 0;
    for (int h = 0; h < heads; ++h)
      if (counts[h] < 0) {
        free_weight += u[h];
        ++free_heads;
      }
    if (free_heads == 0) return;
    if (!(free_weight > 0)) {
      // The free heads have zero weight: their tokens all tie at score 0; share what is left evenly.
      for (int h = 0; h < heads; ++h)
        if (counts[h] < 0) counts[h] = std::min(cap, std::max(0.0, rest / free_heads));
      return;
    }
    const double t = rest / free_weight;
    bool pinned = false;
    for (int h = 0; h < heads; ++h)
      if (counts[h] < 0 && u[h] * t > cap) {
        counts[h] = cap;
        rest -= cap;
        pinned = true;
      }
    if (!pinned) {
      for (int h = 0; h < heads; ++h)
        if (counts[h] < 0) counts[h] = u[h] * t;
      return;
    }
  }
}

void adakv_split(const double* x, double scale, int heads, int b, double alpha, int window, std::int32_t* kept) {
  const int floor_tokens = static_cast<int>(b * alpha);  // AdaKV: int(base_capacity * floor_ratio)
  const double share = (1 - alpha) * scale;
  // Running sums first, then each rounded independently (values are >= 0, so truncating x + 0.5
  // rounds half up) and differenced: the rounding work does not form one serial chain.
  double acc = 0;
  std::int64_t done = 0;
  for (int h = 0; h < heads; ++h) {
    acc += share * x[h] + floor_tokens;
    const auto upto = static_cast<std::int64_t>(acc + 0.5);
    kept[h] = window + static_cast<std::int32_t>(upto - done);
    done = upto;
  }
}

}  // namespace kvsim
