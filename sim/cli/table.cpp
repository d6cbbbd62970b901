// See table.h.
#include "sim/cli/table.h"

#include <algorithm>
#include <cstdio>

namespace kvsim::cli {
namespace {

double peak_kv_max(const nlohmann::json& s) {
  double mx = 0;
  for (const auto& g : s["gpus"]) mx = std::max(mx, g["peak_kv_bytes"].get<double>());
  return mx;
}

}  // namespace

nlohmann::json comparison_row(const std::string& name, const nlohmann::json& s, const nlohmann::json& baseline) {
  const double tput = s["throughput"]["output_tokens_per_s"].get<double>();
  const double base = baseline["throughput"]["output_tokens_per_s"].get<double>();
  const double decode = s["throughput"]["decode_only_tokens_per_s"].get<double>();
  const double decode_base = baseline["throughput"]["decode_only_tokens_per_s"].get<double>();
  return {{"name", name},
          {"output_tokens_per_s", tput},
          {"speedup", base > 0 ? tput / base : 0.0},
          {"decode_only_tokens_per_s", decode},
          {"decode_speedup", decode_base > 0 ? decode / decode_base : 0.0},
          {"ttft_p99_s", s["latency_s"]["ttft"]["p99"]},
          {"tpot_p50_s", s["latency_s"]["tpot"]["p50"]},
          {"peak_kv_bytes_max", peak_kv_max(s)},
          {"kv_bytes_max_over_mean", s["imbalance"]["kv_bytes_max_over_mean"]},
          {"attention_max_over_mean", s["imbalance"]["attention_max_over_mean"]},
          {"decode_attention_max_over_mean", s["imbalance"]["decode_attention_max_over_mean"]},
          {"cost_over_bound", s["placement_quality"].value("cost_over_bound", 1.0)},
          {"completed", s["requests"]["completed"]},
          {"rejected", s["requests"]["rejected"]}};
}

void print_comparison(std::ostream& os, const Scenario& sc, const std::vector<std::string>& names,
                      const std::vector<nlohmann::json>& summaries, const std::string& out_dir) {
  char line[256];
  std::snprintf(line, sizeof line, "kvsim: %s on %d x %s, %s, %zu requests, executor %s\n", sc.model.name.c_str(),
                sc.gpus, sc.gpu.name.c_str(), summaries.front()["notes"].value("kv_policy", "").c_str(),
                summaries.front()["requests"]["total"].get<std::size_t>(),
                summaries.front()["executor"].get<std::string>().c_str());
  os << line;
  std::snprintf(line, sizeof line, "%-16s %9s %8s %9s %8s %9s %9s %9s %8s %8s %8s\n", "variant", "tokens/s", "speedup",
                "decode", "decode", "TTFT p99", "TPOT p50", "peak KV", "KV max/", "decode", "attn");
  os << line;
  std::snprintf(line, sizeof line, "%-16s %9s %8s %9s %8s %9s %9s %9s %8s %8s %8s\n", "", "", "", "tokens/s", "speedup",
                "(s)", "(ms)", "max GiB", "mean", "attn m/m", "/bound");
  os << line;
  for (std::size_t i = 0; i < summaries.size(); ++i) {
    const nlohmann::json row = comparison_row(names[i], summaries[i], summaries.front());
    std::snprintf(line, sizeof line, "%-16s %9.0f %7.2fx %9.0f %7.2fx %9.2f %9.2f %9.2f %8.3f %8.3f %8.3f\n",
                  names[i].c_str(), row["output_tokens_per_s"].get<double>(), row["speedup"].get<double>(),
                  row["decode_only_tokens_per_s"].get<double>(), row["decode_speedup"].get<double>(),
                  row["ttft_p99_s"].get<double>(), row["tpot_p50_s"].get<double>() * 1e3,
                  row["peak_kv_bytes_max"].get<double>() / (1024.0 * 1024 * 1024),
                  row["kv_bytes_max_over_mean"].get<double>(), row["decode_attention_max_over_mean"].get<double>(),
                  row["cost_over_bound"].get<double>());
    os << line;
  }
  os << "results in " << out_dir << "/\n";
}

void print_comparison_markdown(std::ostream& os, const Scenario& sc, const std::vector<std::string>& names,
                               const std::vector<nlohmann::json>& summaries) {
  char line[512];
  std::snprintf(line, sizeof line, "%s on %d x %s, %s, %zu requests, executor %s.\n\n", sc.model.name.c_str(), sc.gpus,
                sc.gpu.name.c_str(), summaries.front()["notes"].value("kv_policy", "").c_str(),
                summaries.front()["requests"]["total"].get<std::size_t>(),
                summaries.front()["executor"].get<std::string>().c_str());
  os << line;
  os << "| variant | tokens/s | speedup | decode tokens/s | decode speedup | TTFT p99 (s) | TPOT p50 (ms) | "
        "peak batch | peak KV max (GiB) | KV max/mean | attention max/mean | decode attention max/mean | attention cost/bound | rejected |\n";
  os << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (std::size_t i = 0; i < summaries.size(); ++i) {
    const nlohmann::json row = comparison_row(names[i], summaries[i], summaries.front());
    std::snprintf(line, sizeof line, "| %s | %.0f | %.2fx | %.0f | %.2fx | %.2f | %.2f | %d | %.2f | %.3f | %.3f | %.3f | %.3f | %lld |\n",
                  names[i].c_str(), row["output_tokens_per_s"].get<double>(), row["speedup"].get<double>(),
                  row["decode_only_tokens_per_s"].get<double>(), row["decode_speedup"].get<double>(),
                  row["ttft_p99_s"].get<double>(), row["tpot_p50_s"].get<double>() * 1e3,
                  summaries[i]["peak_running_requests"].get<int>(),
                  row["peak_kv_bytes_max"].get<double>() / (1024.0 * 1024 * 1024),
                  row["kv_bytes_max_over_mean"].get<double>(), row["attention_max_over_mean"].get<double>(),
                  row["decode_attention_max_over_mean"].get<double>(),
                  row["cost_over_bound"].get<double>(), static_cast<long long>(row["rejected"].get<std::int64_t>()));
    os << line;
  }
}

}  // namespace kvsim::cli
