// See capacity_plan.h: the plan in plain words, plan.json and plan.md.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "sim/plan/capacity_plan.h"
#include "sim/sweep/sweep_spec.h"

namespace kvsim::plan {
namespace {

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

std::string seconds(double s) { return s < 0.1 ? num(s * 1e3) + " ms" : num(s) + " s"; }

std::string rate(double r) { return num(r) + " req/s"; }

bool capped(const PlanSpec& spec, const ConfigResult& c) {
  return c.at_target.meets && c.max_rate_per_s >= spec.target_rate_per_s * spec.max_rate_factor / 2 &&
         std::none_of(c.trials.begin(), c.trials.end(), [](const Trial& t) { return !t.meets; });
}

std::string sustains(const PlanSpec& spec, const ConfigResult& c) {
  if (c.max_rate_per_s <= 0) return "sustains no rate it was tried at";
  return std::string("sustains ") + (capped(spec, c) ? "at least " : "up to ") + rate(c.max_rate_per_s);
}

std::string slo_words(const PlanSpec& spec, const Trial& t) {
  std::string s;
  if (spec.ttft_p99_s > 0) s += "p99 TTFT " + seconds(t.ttft_p99_s) + " (SLO " + seconds(spec.ttft_p99_s) + ")";
  if (spec.tpot_p99_s > 0) s += std::string(s.empty() ? "" : " and ") + "p99 TPOT " + seconds(t.tpot_p99_s) + " (SLO " + seconds(spec.tpot_p99_s) + ")";
  return s;
}

// The most capable configuration among those with `gpus` GPUs that fit, or nullptr.
const ConfigResult* best_with(const PlanResult& r, int gpus) {
  const ConfigResult* best = nullptr;
  for (const ConfigResult& c : r.configs)
    if (c.gpus == gpus && c.fits && (!best || c.max_rate_per_s > best->max_rate_per_s)) best = &c;
  return best;
}

// InputError text is "file: pointer: expected X, found Y"; in words: "it needs X; it has Y".
std::string first_sentence_of(const std::string& error) {
  const auto at = error.find(": expected ");
  if (at == std::string::npos) return error;
  std::string s = "it needs " + error.substr(at + 11);
  const auto found = s.rfind(", found ");
  if (found != std::string::npos) s = s.substr(0, found) + "; it has " + s.substr(found + 8);
  return s;
}

}  // namespace

std::string explain(const PlanSpec& spec, const PlanResult& r) {
  std::string out;
  const std::string target = rate(spec.target_rate_per_s);
  if (r.answer) {
    const ConfigResult& a = r.configs[*r.answer];
    out += "Cheapest configuration: " + a.label + ". It " + sustains(spec, a) + " against the target " + target;
    if (a.max_rate_per_s > spec.target_rate_per_s)
      out += " (" + num(100.0 * (a.max_rate_per_s / spec.target_rate_per_s - 1.0)) + "% headroom)";
    out += "; at the target rate " + slo_words(spec, a.at_target) + ".";
    if (spec.per_gpu_hour > 0) {
      const double per_hour = spec.per_gpu_hour * a.gpus;
      const double tokens_per_hour = a.at_target.output_tokens_per_s * 3600.0;
      out += " At " + num(spec.per_gpu_hour) + " " + spec.currency + " per GPU-hour that is " + num(per_hour) + " " +
             spec.currency + " an hour, " + num(per_hour / tokens_per_hour * 1e6) + " " + spec.currency +
             " per million output tokens at the target rate.";
    }
    // Why not fewer GPUs.
    for (int g : spec.gpus) {
      if (g >= a.gpus) continue;
      const ConfigResult* b = best_with(r, g);
      if (!b) {
        for (const ConfigResult& c : r.configs)
          if (c.gpus == g) {
            out += " " + std::to_string(g) + " GPU" + (g == 1 ? "" : "s") + " cannot run it: " + first_sentence_of(c.error) + ".";
            break;
          }
        continue;
      }
      out += " With " + std::to_string(g) + " GPU" + (g == 1 ? "" : "s") + " the best (" + b->label + ") " +
             sustains(spec, *b) + ": at " + target + ", " + b->at_target.why_not + ".";
    }
    // Other placements with the same GPUs and budget.
    std::string others;
    for (const ConfigResult& c : r.configs) {
      if (&c == &a || c.gpus != a.gpus || c.budget != a.budget || c.placement == a.placement) continue;
      others += std::string(others.empty() ? "" : "; ") + sweep::value_label(c.placement) + " " +
                (c.fits ? sustains(spec, c) : std::string("does not fit"));
    }
    if (!others.empty()) out += " On the same " + std::to_string(a.gpus) + " GPUs and budget: " + others + ".";
  } else {
    out += "No configuration sustains " + target + " within the SLOs.";
    const ConfigResult* best = nullptr;
    for (const ConfigResult& c : r.configs)
      if (c.fits && (!best || c.max_rate_per_s > best->max_rate_per_s)) best = &c;
    if (best) {
      out += " The closest is " + best->label + ", which " + sustains(spec, *best) + "; at " + target + ", " +
             best->at_target.why_not + ".";
    } else {
      out += " None of the configurations fits in memory.";
    }
    out += " Try more GPUs, a smaller KV budget or looser SLOs.";
  }
  return out;
}

nlohmann::json plan_json(const PlanSpec& spec, const PlanResult& r) {
  auto trial = [](const Trial& t) {
    return nlohmann::json{{"rate_per_s", t.rate_per_s}, {"meets", t.meets}, {"completed", t.completed},
                          {"rejected", t.rejected}, {"ttft_p99_s", t.ttft_p99_s}, {"tpot_p99_s", t.tpot_p99_s},
                          {"output_tokens_per_s", t.output_tokens_per_s}, {"why_not", t.why_not}};
  };
  nlohmann::json configs = nlohmann::json::array();
  for (const ConfigResult& c : r.configs) {
    nlohmann::json j{{"label", c.label}, {"gpus", c.gpus}, {"placement", c.placement}, {"budget", c.budget},
                     {"fits", c.fits}};
    if (!c.fits) {
      j["error"] = c.error;
    } else {
      j["meets_target"] = c.at_target.meets;
      j["max_rate_per_s"] = c.max_rate_per_s;
      j["at_target"] = trial(c.at_target);
      nlohmann::json trials = nlohmann::json::array();
      for (const Trial& t : c.trials) trials.push_back(trial(t));
      j["trials"] = trials;
    }
    configs.push_back(j);
  }
  nlohmann::json answer;
  if (r.answer) {
    const ConfigResult& a = r.configs[*r.answer];
    answer = {{"label", a.label}, {"gpus", a.gpus}, {"gpu", spec.base.gpu.name}, {"placement", a.placement},
              {"budget", a.budget}, {"max_rate_per_s", a.max_rate_per_s}, {"at_target", trial(a.at_target)}};
    if (spec.per_gpu_hour > 0) answer["cost_per_hour"] = spec.per_gpu_hour * a.gpus;
  }
  return {{"target_rate_per_s", spec.target_rate_per_s},
          {"requests_per_trial", spec.requests},
          {"slo", {{"ttft_p99_s", spec.ttft_p99_s > 0 ? nlohmann::json(spec.ttft_p99_s) : nlohmann::json()},
                   {"tpot_p99_s", spec.tpot_p99_s > 0 ? nlohmann::json(spec.tpot_p99_s) : nlohmann::json()}}},
          {"model", spec.base.model.name},
          {"answer", answer},
          {"explanation", r.explanation},
          {"configs", configs}};
}

std::string plan_markdown(const PlanSpec& spec, const PlanResult& r) {
  std::string md = "# Capacity plan: " + spec.base.model.name + " at " + rate(spec.target_rate_per_s) + "\n\n";
  md += r.explanation + "\n\n";
  md += "Each configuration's sustainable rate is the largest Poisson rate (bisection, " +
        std::to_string(spec.requests) + " requests per trial) at which every request completes and the p99 " +
        "latencies meet the SLOs.\n\n";
  md += "| configuration | fits | meets target | sustainable rate (req/s) | p99 TTFT at target (s) | p99 TPOT at target (s) | why not |\n";
  md += "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (std::size_t i = 0; i < r.configs.size(); ++i) {
    const ConfigResult& c = r.configs[i];
    const std::string name = (r.answer && *r.answer == i ? "**" + c.label + "**" : c.label);
    if (!c.fits) {
      md += "| " + name + " | no | no | | | | " + first_sentence_of(c.error) + " |\n";
      continue;
    }
    md += "| " + name + " | yes | " + (c.at_target.meets ? "yes" : "no") + " | " + (capped(spec, c) ? ">= " : "") +
          num(c.max_rate_per_s) + " | " + num(c.at_target.ttft_p99_s) + " | " + num(c.at_target.tpot_p99_s) + " | " +
          c.at_target.why_not + " |\n";
  }
  return md;
}

}  // namespace kvsim::plan
