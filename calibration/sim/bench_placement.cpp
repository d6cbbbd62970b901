// Placement search speed: every kind on LLaMA-3-70B (80 layers x 8 kv heads) over 8 GPUs with
// skewed profiled loads, 64 concurrent requests and a 141 GB H200's memory. The target is < 1 s each.
//   cmake --build build --target bench_placement && build/calibration/sim/bench_placement
#include <benchmark/benchmark.h>

#include <random>
#include <stdexcept>

#include "sim/model/model_spec.h"
#include "sim/placement/placement.h"

namespace {

using namespace kvsim;

std::vector<double> skewed_loads(const ModelSpec& m, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> load(static_cast<std::size_t>(m.layers) * m.kv_heads);
  for (double& v : load) {
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    v = 100.0 + 4000.0 * u * u * u;
  }
  return load;
}

void BM_Placement(benchmark::State& state, const std::string& kind, nlohmann::json options) {
  static const ModelSpec model = *model_preset("llama-3-70b");
  const PlacementRequest request{.model = &model, .gpus = 8, .head_load = skewed_loads(model, 42),
                                 .gpu_memory_bytes = 141'000'000'000LL, .expected_concurrent_requests = 64};
  options["kind"] = kind;
  Placement p;
  for (auto _ : state) {
    p = make_placement(options, request, "bench", "/placement");
    benchmark::DoNotOptimize(p.copies.data());
  }
  const double k = auto_head_weight_tokens(model, 64);
  state.counters["extra_copies"] = p.extra_copies();
  state.counters["cost_over_bound"] = placement_cost(p, request.head_load) / lower_bound_cost(model, 8, request.head_load);
  state.counters["objective"] = placement_objective(p, request.head_load, k);
}

BENCHMARK_CAPTURE(BM_Placement, tensor_parallel, std::string("tensor_parallel"), nlohmann::json::object())
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Placement, best_effort, std::string("best_effort"), nlohmann::json::object())
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Placement, fair_copying, std::string("fair_copying"), nlohmann::json::object())
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Placement, fair_copying_free_copies, std::string("fair_copying"),
                  nlohmann::json{{"head_weight_tokens", 0}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Placement, balanced_split, std::string("balanced_split"), nlohmann::json::object())
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Placement, balanced_split_free_copies, std::string("balanced_split"),
                  nlohmann::json{{"head_weight_tokens", 0}})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
