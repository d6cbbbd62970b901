// See run_outputs.h.
#include "sim/metrics/run_outputs.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "sim/core/atomic_file.h"
#include "sim/metrics/percentiles.h"

namespace kvsim {
namespace {

nlohmann::json to_json(const Percentiles& p) {
  return {{"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}, {"mean", p.mean}, {"count", p.count}};
}

void append_number(std::string& out, double x) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, res.ptr);
}

}  // namespace

nlohmann::json make_summary(const RunResult& r, const OutputOptions& options) {
  std::vector<double> ttft, tpot, e2e;
  std::int64_t completed = 0, rejected = 0, output_tokens = 0;
  std::map<std::string, int> reasons;
  double kv_bytes_sum = 0;
  for (const RequestRecord& q : r.requests) {
    if (!q.rejected_reason.empty()) {
      ++rejected;
      ++reasons[q.rejected_reason.substr(0, q.rejected_reason.find(':'))];
      continue;
    }
    if (!q.completed()) continue;
    ++completed;
    kv_bytes_sum += static_cast<double>(q.kv_bytes);
    output_tokens += q.output_tokens;
    ttft.push_back(q.first_token_s - q.arrival_s);
    e2e.push_back(q.finish_s - q.arrival_s);
    if (q.output_tokens > 1) tpot.push_back((q.finish_s - q.first_token_s) / (q.output_tokens - 1));
  }
  const double span = r.simulated_s > 0 ? r.simulated_s : 1.0;

  nlohmann::json gpus = nlohmann::json::array();
  double peak_max = 0, peak_sum = 0;
  for (const GpuResult& g : r.gpu) {
    nlohmann::json phases;
    for (int p = 0; p < kPhaseCount; ++p) phases[phase_name(static_cast<Phase>(p))] = g.phase_s[p];
    gpus.push_back({{"id", g.id}, {"weights_bytes", g.weights_bytes}, {"kv_capacity_bytes", g.kv_capacity_bytes},
                    {"peak_kv_bytes", g.peak_kv_bytes}, {"attention_s", g.attention_s}, {"busy_s", g.busy_s},
                    {"phase_s", phases}});
    peak_max = std::max(peak_max, static_cast<double>(g.peak_kv_bytes));
    peak_sum += static_cast<double>(g.peak_kv_bytes);
  }
  // Attention imbalance: per layer, max over GPUs / mean over GPUs; for the model, the sum over layers
  // of the max divided by the sum over layers of the mean.
  nlohmann::json per_layer = nlohmann::json::array();
  nlohmann::json per_layer_gpu = nlohmann::json::array();  // [layer][gpu] seconds, for the report's heat map
  double sum_max = 0, sum_mean = 0;
  for (int l = 0; l < r.layers; ++l) {
    double mx = 0, total = 0;
    nlohmann::json row = nlohmann::json::array();
    for (int g = 0; g < r.gpus; ++g) {
      const double a = r.attention_s[static_cast<std::size_t>(l) * r.gpus + g];
      mx = std::max(mx, a);
      total += a;
      row.push_back(a);
    }
    per_layer_gpu.push_back(std::move(row));
    const double mean = total / r.gpus;
    per_layer.push_back(mean > 0 ? mx / mean : 1.0);
    sum_max += mx;
    sum_mean += mean;
  }
  // The same ratio for decode attention alone: what a KV placement balances (prefill attention
  // follows the uncompressed prompt, the same for every head).
  double decode_sum_max = 0, decode_sum_mean = 0;
  for (int l = 0; l < r.layers; ++l) {
    double mx = 0, total = 0;
    for (int g = 0; g < r.gpus; ++g) {
      const double a = r.decode_attention_cell_s[static_cast<std::size_t>(l) * r.gpus + g];
      mx = std::max(mx, a);
      total += a;
    }
    decode_sum_max += mx;
    decode_sum_mean += total / r.gpus;
  }
  const double peak_mean = peak_sum / std::max<std::size_t>(r.gpu.size(), 1);

  nlohmann::json summary;
  summary["executor"] = r.executor;
  summary["scenario"] = r.scenario;
  summary["requests"] = {{"total", r.requests.size()}, {"completed", completed}, {"rejected", rejected},
                         {"rejection_reasons", reasons},
                         // Mean KV a completed request holds at its last decode step, over all GPUs: the
                         // memory its attention policy stores, independent of how many run at once.
                         {"kv_bytes_mean", completed > 0 ? kv_bytes_sum / static_cast<double>(completed) : 0.0}};
  summary["throughput"] = {{"output_tokens_per_s", static_cast<double>(output_tokens) / span},
                           {"requests_per_s", static_cast<double>(completed) / span}};
  summary["latency_s"] = {{"ttft", to_json(summarize(ttft))}, {"tpot", to_json(summarize(tpot))},
                          {"e2e", to_json(summarize(e2e))}};
  summary["gpus"] = gpus;
  summary["imbalance"] = {{"kv_bytes_max_over_mean", peak_mean > 0 ? peak_max / peak_mean : 1.0},
                          {"attention_max_over_mean", sum_mean > 0 ? sum_max / sum_mean : 1.0},
                          {"attention_max_over_mean_per_layer", per_layer},
                          {"decode_attention_max_over_mean", decode_sum_mean > 0 ? decode_sum_max / decode_sum_mean : 1.0}};
  summary["attention_s_per_layer_gpu"] = per_layer_gpu;
  summary["placement"] = r.placement;
  summary["placement_quality"] = r.placement_quality;
  summary["steps"] = r.steps;
  nlohmann::json mix;
  const char* kinds[3] = {"decode_only", "prefill_only", "mixed"};
  for (int k = 0; k < 3; ++k)
    mix[kinds[k]] = {{"steps", r.step_mix.steps[k]}, {"time_s", r.step_mix.time_s[k]},
                     {"decode_tokens", r.step_mix.decode_tokens[k]}, {"prefill_tokens", r.step_mix.prefill_tokens[k]}};
  summary["step_mix"] = mix;
  // Decode attention on the critical path (per layer, the slowest GPU), in all and per decoded token:
  // what attention policies that compute fewer tokens (A-VL) shorten.
  const std::int64_t decoded = r.step_mix.decode_tokens[0] + r.step_mix.decode_tokens[1] + r.step_mix.decode_tokens[2];
  summary["decode_attention_s"] = {{"total", r.decode_attention_s},
                                   {"per_decode_token", decoded > 0 ? r.decode_attention_s / static_cast<double>(decoded) : 0.0}};
  summary["throughput"]["decode_only_tokens_per_s"] =
      r.step_mix.time_s[0] > 0 ? static_cast<double>(r.step_mix.decode_tokens[0]) / r.step_mix.time_s[0] : 0.0;
  summary["peak_running_requests"] = r.peak_running;
  summary["notes"] = r.notes;
  summary["simulated_s"] = r.simulated_s;
  summary["wall_s"] = options.record_wall_clock ? nlohmann::json(r.wall_s) : nlohmann::json();
  return summary;
}

std::string make_requests_csv(const RunResult& r) {
  std::string out = "id,arrival_s,admitted_s,first_token_s,finish_s,prompt_tokens,output_tokens,rejected_reason\n";
  out.reserve(out.size() + r.requests.size() * 64);
  auto time = [&](double t) {
    if (t >= 0) append_number(out, t);
    out += ',';
  };
  for (const RequestRecord& q : r.requests) {
    out += std::to_string(q.id);
    out += ',';
    time(q.arrival_s);
    time(q.admitted_s);
    time(q.first_token_s);
    time(q.finish_s);
    out += std::to_string(q.prompt_tokens);
    out += ',';
    out += std::to_string(q.output_tokens);
    out += ',';
    if (!q.rejected_reason.empty()) {
      out += '"';
      for (char c : q.rejected_reason) out += c == '"' ? std::string("\"\"") : std::string(1, c);
      out += '"';
    }
    out += '\n';
  }
  return out;
}

std::string make_chrome_trace(const RunResult& r) {
  nlohmann::json events = nlohmann::json::array();
  events.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", 0}, {"args", {{"name", "scheduler"}}}});
  events.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", 1}, {"args", {{"name", "GPUs"}}}});
  for (int g = 0; g < r.gpus; ++g)
    events.push_back({{"ph", "M"}, {"name", "thread_name"}, {"pid", 1}, {"tid", g},
                      {"args", {{"name", "GPU " + std::to_string(g)}}}});
  for (const StepRecord& s : r.step_records)
    events.push_back({{"ph", "X"}, {"name", "step"}, {"pid", 0}, {"tid", 0}, {"ts", s.start_s * 1e6},
                      {"dur", s.duration_s * 1e6},
                      {"args", {{"decode_requests", s.decode_requests}, {"prefill_tokens", s.prefill_tokens}}}});
  for (const TraceSlice& s : r.slices) {
    std::string name;
    if (s.layer >= 0) {
      name = "L";
      name += std::to_string(s.layer);
      name += ' ';
    }
    name += s.name;
    events.push_back({{"ph", "X"}, {"name", name}, {"cat", s.name}, {"pid", 1}, {"tid", s.gpu},
                      {"ts", s.start_s * 1e6}, {"dur", s.duration_s * 1e6}});
  }
  return nlohmann::json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump();
}

void write_run_outputs(const RunResult& r, const std::filesystem::path& dir, const OutputOptions& options) {
  write_file_atomically(dir / "summary.json", make_summary(r, options).dump(2) + "\n");
  write_file_atomically(dir / "requests.csv", make_requests_csv(r));
  write_file_atomically(dir / "trace.json", make_chrome_trace(r));
}

}  // namespace kvsim
