// Google Benchmark of the simulator's speed (issue 2's target: 10,000 requests of LLaMA-3-70B on
// 8 GPUs, prompt 4096, output 512, Poisson arrivals, in under 1 s of wall time on one core).
//   cmake --build build --target bench_simulator && build/calibration/sim/bench_simulator
// Each benchmark runs the whole simulate(): budgets, offline placement, scheduling, step timing.
#include <benchmark/benchmark.h>

#include "sim/run/simulation.h"
#include "sim/scenario/scenario.h"

namespace {

kvsim::Scenario llama70b_scenario(const nlohmann::json& kv_policy, const nlohmann::json& placement) {
  nlohmann::json doc = {
      {"schema_version", 1},
      {"seed", 1},
      {"model", "llama-3-70b"},
      {"hardware", {{"gpu", "h200"}, {"gpus", 8}}},
      {"workload", {{"arrival", "poisson"}, {"rate_per_s", 4.0}, {"requests", 10000},
                    {"prompt_tokens", 4096}, {"output_tokens", 512}}},
      {"kv_policy", kv_policy},
      {"placement", placement},
      {"scheduler", {{"max_batch_size", 256}, {"max_batched_tokens", 8192}}}};
  return kvsim::parse_scenario(doc, "bench", ".");
}

void run(benchmark::State& state, const kvsim::Scenario& s) {
  std::int64_t steps = 0;
  for (auto _ : state) {
    const kvsim::RunResult r = kvsim::simulate(s);
    steps = r.steps;
    benchmark::DoNotOptimize(r.simulated_s);
  }
  state.counters["steps"] = static_cast<double>(steps);
  state.counters["requests"] = 10000;
}

void BM_Llama70B_10k_FullCache_TP(benchmark::State& state) {
  run(state, llama70b_scenario({{"kind", "full"}}, {{"kind", "tensor_parallel"}}));
}
void BM_Llama70B_10k_AdaKV_TP(benchmark::State& state) {
  run(state, llama70b_scenario({{"kind", "adakv"}, {"budget", 512}, {"skew", "zipf-1.0"}}, {{"kind", "tensor_parallel"}}));
}
void BM_Llama70B_10k_AdaKV_FairCopying(benchmark::State& state) {
  run(state, llama70b_scenario({{"kind", "adakv"}, {"budget", 512}, {"skew", "zipf-1.0"}}, {{"kind", "fair_copying"}}));
}

}  // namespace

BENCHMARK(BM_Llama70B_10k_FullCache_TP)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Llama70B_10k_AdaKV_TP)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Llama70B_10k_AdaKV_FairCopying)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_MAIN();
