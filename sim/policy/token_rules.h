// Token-count rules the attention policies share, each with its rounding stated, so tests and docs
// can compute the same numbers by hand.
//   share_floor(s, n)   floor(s * n), the Python int() that A-VL's and FastV's code apply to image
//                       token counts; a 1e-9 slack keeps 0.3 * 10 at 3 despite binary fractions.
//                       576 tokens at 0.5 -> 288, at 0.3 -> 172 (172.8 rounds down).
//   share_round(s, n)   round half to even of s * n (Python's round(), A-VL's text budget).
//   linear_growth(...)  the mean per-step rate from a footprint curve's value after prefill to its
//                       value after the last decode step: exact at both ends, linear between (the
//                       convention of sim/budget's HeadBudgets::growth).
#pragma once

#include <algorithm>
#include <cmath>

namespace kvsim::policy_rules {

inline int share_floor(double share, int n) { return static_cast<int>(std::floor(share * n + 1e-9)); }

inline int share_round(double share, int n) { return static_cast<int>(std::nearbyint(share * n)); }

// Decode steps of a request that emits `output_tokens` (the first comes from the prefill).
inline int decode_steps(int output_tokens) { return std::max(0, output_tokens - 1); }

// (f(after the last step) - f(after prefill)) / steps; `fallback` when there is no decode step.
template <typename F>
double linear_growth(F&& tokens_after, int start_tokens, int steps, double fallback) {
  if (steps <= 0) return fallback;
  return (static_cast<double>(tokens_after(start_tokens + steps)) - tokens_after(start_tokens)) / steps;
}

// A-VL's text budget over the T text tokens after the image (prompt text plus those generated):
// min(T, max(round(keep * T), min_tokens)). Of it, floor(heavy_share * budget) are heavy hitters and
// the rest the most recent tokens (the split decides which tokens, not how many).
inline int avl_text_tokens(double keep, int min_tokens, int text) {
  return std::min(text, std::max(share_round(keep, text), min_tokens));
}
inline int avl_text_heavy(double heavy_share, int budget) { return share_floor(heavy_share, budget); }

// H2O over the whole sequence of S tokens: floor(heavy * S) heavy hitters + floor(recent * S) recent.
inline int h2o_tokens(double heavy, double recent, int seq) {
  return std::min(seq, share_floor(heavy, seq) + share_floor(recent, seq));
}

// StreamingLLM: the first `sink` tokens and the `window` most recent.
inline int streaming_tokens(int sink, int window, int seq) { return std::min(seq, sink + window); }

}  // namespace kvsim::policy_rules
