// See capacity_plan.h: PLAN.json parsing and the rate search.
#include "sim/plan/capacity_plan.h"

#include <algorithm>
#include <cmath>

#include "sim/core/input_error.h"
#include "sim/metrics/run_outputs.h"
#include "sim/run/simulation.h"
#include "sim/scenario/json_reader.h"
#include "sim/sweep/parallel.h"
#include "sim/sweep/sweep_spec.h"

namespace kvsim::plan {
namespace {

Scenario read_base(const JsonReader& r, const std::filesystem::path& base_dir) {
  const nlohmann::json& b = r.json();
  if (b.is_string()) {
    const std::filesystem::path p(b.get<std::string>());
    return load_scenario((p.is_absolute() ? p : base_dir / p).lexically_normal().string());
  }
  if (!b.is_object()) r.fail_here("a scenario file name or an inline scenario object", JsonReader::describe(b));
  return parse_scenario(b, r.file() + " (inline base)", base_dir);
}

std::string gpu_name(const Scenario& s) {
  std::string n = s.gpu.name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return n;
}

// Why a trial misses ("" when it meets every requirement): every requirement it misses, in words.
std::string judge(const PlanSpec& spec, const Trial& t) {
  std::string why;
  auto add = [&](const std::string& s) { why += (why.empty() ? "" : "; ") + s; };
  char buf[160];
  if (t.rejected > 0) {
    std::snprintf(buf, sizeof buf, "%d requests rejected (they never fit in KV memory)", t.rejected);
    add(buf);
  } else if (t.completed < spec.requests) {
    add("not every request completed");
  }
  if (spec.ttft_p99_s > 0 && t.ttft_p99_s > spec.ttft_p99_s) {
    std::snprintf(buf, sizeof buf, "p99 TTFT %.3g s exceeds the SLO %.3g s", t.ttft_p99_s, spec.ttft_p99_s);
    add(buf);
  }
  if (spec.tpot_p99_s > 0 && t.tpot_p99_s > spec.tpot_p99_s) {
    std::snprintf(buf, sizeof buf, "p99 TPOT %.3g s exceeds the SLO %.3g s", t.tpot_p99_s, spec.tpot_p99_s);
    add(buf);
  }
  return why;
}

Trial run_trial(const PlanSpec& spec, const ConfigResult& c, double rate) {
  const RunResult r = simulate(config_scenario(spec, c.gpus, c.placement, c.budget, rate));
  const nlohmann::json s = make_summary(r, {.record_wall_clock = false});
  Trial t{.rate_per_s = rate};
  t.completed = s["requests"]["completed"].get<int>();
  t.rejected = s["requests"]["rejected"].get<int>();
  t.ttft_p99_s = s["latency_s"]["ttft"]["p99"].get<double>();
  t.tpot_p99_s = s["latency_s"]["tpot"]["p99"].get<double>();
  t.output_tokens_per_s = s["throughput"]["output_tokens_per_s"].get<double>();
  t.why_not = judge(spec, t);
  t.meets = t.why_not.empty();
  return t;
}

void search(const PlanSpec& spec, ConfigResult& c) {
  const double target = spec.target_rate_per_s;
  try {
    c.at_target = run_trial(spec, c, target);
  } catch (const InputError& e) {
    c.fits = false;
    c.error = e.what();
    return;
  }
  c.trials.push_back(c.at_target);
  double lo = 0, hi = target;
  if (c.at_target.meets) {
    lo = target;
    for (hi = 2 * target; hi <= target * spec.max_rate_factor; hi *= 2) {
      const Trial t = run_trial(spec, c, hi);
      c.trials.push_back(t);
      if (!t.meets) break;
      lo = hi;
    }
  }
  // Bisect unless the configuration sustained even the top of the range.
  const bool capped = c.at_target.meets && hi > target * spec.max_rate_factor;
  for (int i = 0; i < (capped ? 0 : spec.iterations); ++i) {
    const double mid = 0.5 * (lo + hi);
    const Trial t = run_trial(spec, c, mid);
    c.trials.push_back(t);
    (t.meets ? lo : hi) = mid;
  }
  c.max_rate_per_s = lo;
  std::sort(c.trials.begin(), c.trials.end(), [](const Trial& a, const Trial& b) { return a.rate_per_s < b.rate_per_s; });
}

}  // namespace

PlanSpec parse_plan(const nlohmann::json& root, const std::string& file, const std::filesystem::path& base_dir) {
  const JsonReader r(root, file, "");
  r.expect_object();
  r.reject_unknown_keys({"schema_version", "base", "traffic", "slo", "search", "cost"});
  const auto version = r.integer("schema_version", 0, 1'000'000);
  if (version != kPlanSchemaVersion) r.fail("schema_version", std::to_string(kPlanSchemaVersion), std::to_string(version));
  PlanSpec p{.file = file, .base = read_base(r.at("base"), base_dir)};

  const JsonReader traffic = r.at("traffic");
  traffic.expect_object();
  traffic.reject_unknown_keys({"rate_per_s", "requests", "prompt_tokens", "output_tokens"});
  p.target_rate_per_s = traffic.number("rate_per_s", 1e-6, 1e6);
  const bool base_has_lengths = p.base.workload.arrival != WorkloadSpec::Arrival::trace;
  p.requests = static_cast<int>(traffic.integer_or("requests", base_has_lengths ? p.base.workload.requests : 500, 1, 10'000'000));
  const nlohmann::json& w = p.base.source["workload"];
  auto lengths = [&](const char* key) -> nlohmann::json {
    if (traffic.has(key)) return traffic.at(key).json();
    if (w.contains(key)) return w[key];
    traffic.fail(key, "prompt and output lengths (the base's workload is a trace)", "nothing");
  };
  p.prompt_tokens = lengths("prompt_tokens");
  p.output_tokens = lengths("output_tokens");

  const JsonReader slo = r.at("slo");
  slo.expect_object();
  slo.reject_unknown_keys({"ttft_p99_s", "tpot_p99_s"});
  p.ttft_p99_s = slo.number_or("ttft_p99_s", 0, 1e-9, 1e6);
  p.tpot_p99_s = slo.number_or("tpot_p99_s", 0, 1e-9, 1e6);
  if (!slo.has("ttft_p99_s") && !slo.has("tpot_p99_s")) slo.fail_here("\"ttft_p99_s\" and/or \"tpot_p99_s\"", "neither");

  const JsonReader s = r.at("search");
  s.expect_object();
  s.reject_unknown_keys({"gpus", "placements", "budgets", "iterations", "max_rate_factor"});
  const JsonReader gpus = s.at("gpus");
  gpus.expect_array();
  if (gpus.size() == 0) gpus.fail_here("at least one GPU count", "an empty array");
  for (std::size_t i = 0; i < gpus.size(); ++i) p.gpus.push_back(static_cast<int>(gpus.at(i).as_integer(1, 4096)));
  if (auto pl = s.find("placements")) {
    pl->expect_array();
    if (pl->size() == 0) pl->fail_here("at least one placement", "an empty array");
    for (std::size_t i = 0; i < pl->size(); ++i) {
      const nlohmann::json& v = pl->json()[i];
      if (v.is_string()) p.placements.push_back({{"kind", v}});
      else if (v.is_object()) p.placements.push_back(v);
      else pl->at(i).fail_here("a placement kind or object", JsonReader::describe(v));
    }
  } else {
    p.placements.push_back(p.base.placement);
  }
  if (auto b = s.find("budgets")) {
    b->expect_array();
    if (b->size() == 0) b->fail_here("at least one budget", "an empty array");
    if (!p.base.kv_policy.is_object() || !p.base.kv_policy.contains("budget"))
      b->fail_here("no budgets: the base's kv_policy has no \"budget\"", "a list");
    for (std::size_t i = 0; i < b->size(); ++i) p.budgets.push_back(b->json()[i]);
  }
  p.iterations = static_cast<int>(s.integer_or("iterations", p.iterations, 0, 30));
  p.max_rate_factor = s.number_or("max_rate_factor", p.max_rate_factor, 1, 1e6);

  if (auto cost = r.find("cost")) {
    cost->expect_object();
    cost->reject_unknown_keys({"per_gpu_hour", "currency"});
    p.per_gpu_hour = cost->number("per_gpu_hour", 0, 1e9);
    p.currency = cost->string_or("currency", p.currency);
  }
  return p;
}

PlanSpec load_plan(const std::string& path) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  return parse_plan(read_json_file(path), path, dir.empty() ? std::filesystem::path(".") : dir);
}

Scenario config_scenario(const PlanSpec& spec, int gpus, const nlohmann::json& placement, const nlohmann::json& budget,
                         double rate) {
  nlohmann::json doc = spec.base.source;
  doc.erase("variants");
  doc["hardware"]["gpus"] = gpus;
  doc["placement"] = placement;
  if (!budget.is_null()) doc["kv_policy"]["budget"] = budget;
  doc["workload"] = {{"arrival", "poisson"}, {"rate_per_s", rate}, {"requests", spec.requests},
                     {"prompt_tokens", spec.prompt_tokens}, {"output_tokens", spec.output_tokens}};
  std::string where = spec.file + " (" + std::to_string(gpus) + " GPUs, " + sweep::value_label(placement);
  if (!budget.is_null()) where += ", budget " + budget.dump();
  return parse_scenario(doc, where + ")", spec.base.base_dir);
}

void validate_plan(const PlanSpec& spec) {
  // The same checks as a sweep's: every scenario parses, and each distinct kv_policy and placement
  // is built once.
  sweep::SweepSpec as_sweep{.file = spec.file, .base = spec.base};
  std::size_t index = 0;
  for (int g : spec.gpus)
    for (const auto& pl : spec.placements)
      for (std::size_t b = 0; b < std::max<std::size_t>(spec.budgets.size(), 1); ++b) {
        const nlohmann::json budget = spec.budgets.empty() ? nlohmann::json() : spec.budgets[b];
        const Scenario s = config_scenario(spec, g, pl, budget, spec.target_rate_per_s);
        as_sweep.points.push_back({.index = index++, .name = s.file, .scenario = s.source});
      }
  sweep::validate_points(as_sweep);
}

PlanResult run_plan(const PlanSpec& spec, int jobs) {
  PlanResult result;
  for (int g : spec.gpus)
    for (const auto& pl : spec.placements)
      for (std::size_t b = 0; b < std::max<std::size_t>(spec.budgets.size(), 1); ++b) {
        ConfigResult c{.gpus = g, .placement = pl, .budget = spec.budgets.empty() ? nlohmann::json() : spec.budgets[b]};
        c.label = std::to_string(g) + " x " + gpu_name(spec.base) + ", " + sweep::value_label(pl);
        if (!c.budget.is_null()) c.label += ", budget " + sweep::value_label(c.budget);
        result.configs.push_back(std::move(c));
      }
  sweep::parallel_for(result.configs.size(), jobs, [&](std::size_t i) { search(spec, result.configs[i]); });

  // Fewest GPUs, then the most headroom, then the larger budget.
  for (std::size_t i = 0; i < result.configs.size(); ++i) {
    const ConfigResult& c = result.configs[i];
    if (!c.fits || !c.at_target.meets) continue;
    if (!result.answer) {
      result.answer = i;
      continue;
    }
    const ConfigResult& best = result.configs[*result.answer];
    const auto key = [](const ConfigResult& x) {
      return std::make_tuple(-x.gpus, x.max_rate_per_s, x.budget.is_number() ? x.budget.get<double>() : 0.0);
    };
    if (key(c) > key(best)) result.answer = i;
  }
  result.explanation = explain(spec, result);
  return result;
}

}  // namespace kvsim::plan
