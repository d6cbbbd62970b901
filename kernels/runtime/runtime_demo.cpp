// kvsim_runtime_demo: runs a model preset's decoder layers on the local GPUs with the runtime
// (decoder_runtime.h): a static batch with AdaKV-style per-head budgets from the simulator's budget
// source, a placement from the simulator's placement code (tensor_parallel, best_effort or
// fair_copying, computed from the batch's mean kept tokens per head), one prefill step of the whole
// batch, then decode steps. Prints the KV bytes per GPU against the prediction and per-phase times
// per GPU per step (median over the decode steps), and says how many layers ran and the scale.
// Before the timed steps it warms up (DecoderRuntime::warm_up) unless --no-warmup is given.
//   build-gpu/kernels/runtime/kvsim_runtime_demo --model llama-3-70b --gpus 2 --layers 4 --batch 16
//       --prompt 2048 --output 32 --budget 512 --placement fair_copying
#include "kernels/runtime/decoder_runtime.h"
#include "sim/budget/budget_source.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

using namespace kvsim;
using namespace kvsim::runtime;

int main(int argc, char** argv) {
  CLI::App app("kvsim_runtime_demo: a model's decoder layers on the local GPUs");
  std::string model_name = "llama-3-70b", placement_kind = "tensor_parallel";
  int gpus = 1, layers = 2, batch = 8, prompt = 1024, output = 16, budget = 256, chunk = 0;
  uint64_t seed = 1;
  bool no_warmup = false;
  app.add_flag("--no-warmup", no_warmup, "time the first steps cold (lazy module loading, GEMM plans)");
  app.add_option("--model", model_name, "model preset");
  app.add_option("--gpus", gpus, "local GPUs (devices 0..gpus-1)");
  app.add_option("--layers", layers, "layers to run (the first N); 0 = all");
  app.add_option("--batch", batch, "requests");
  app.add_option("--prompt", prompt, "prompt tokens per request");
  app.add_option("--output", output, "decode steps (output tokens) per request");
  app.add_option("--budget", budget, "AdaKV budget per head (mean kept tokens)");
  app.add_option("--chunk", chunk, "prefill chunk tokens (0 = whole prompt in one step)");
  app.add_option("--placement", placement_kind, "tensor_parallel | best_effort | fair_copying");
  app.add_option("--seed", seed, "seed of weights, token ids and budgets");
  CLI11_PARSE(app, argc, argv);
  try {
    const auto model = model_preset(model_name);
    if (!model) throw std::invalid_argument("unknown model " + model_name);
    const nlohmann::json policy = {{"kind", "adakv"}, {"budget", budget}, {"skew", "zipf-1.0"}, {"variation", 0.3}};
    const auto source = make_budget_source(policy, *model, seed, "<demo>", "/kv_policy", ".");
    std::vector<RuntimeRequest> reqs;
    for (int i = 0; i < batch; ++i) {
      RuntimeRequest r{.id = i, .prompt_tokens = prompt, .output_tokens = output, .budgets = {}};
      source->budgets({.id = i, .prompt_tokens = prompt, .output_tokens = output}, r.budgets);
      reqs.push_back(std::move(r));
    }
    PlacementRequest preq{.model = &*model, .gpus = gpus,
                          .head_load = mean_kept_per_head(*source, *model, 64, prompt, seed + 1)};
    const Placement placement = make_placement({{"kind", placement_kind}}, preq, "<demo>", "/placement");
    DecoderRuntime rt(RuntimeConfig{.model = *model, .placement = placement, .layers_run = layers, .seed = seed});
    rt.admit(reqs);
    const int step_len = chunk > 0 ? chunk : prompt;
    if (!no_warmup) rt.warm_up(batch * std::min(step_len, prompt));
    std::printf("%s\n", rt.describe().c_str());
    for (int g = 0; g < gpus; ++g) {
      const int64_t want = predicted_kv_bytes(*model, placement, reqs, g, rt.layers_run());
      std::printf("gpu %d: kv bytes %lld, predicted %lld: %s\n", g, static_cast<long long>(rt.kv_bytes(g)),
                  static_cast<long long>(want), rt.kv_bytes(g) == want ? "equal" : "DIFFERENT");
      if (rt.kv_bytes(g) != want) return 1;
    }
    auto report = [&](const char* what, const StepResult& s) {
      for (std::size_t g = 0; g < s.gpus.size(); ++g)
        std::printf("%-8s rows %5d gpu %zu: gemm %9.1f us  attention %8.1f us  allreduce %8.1f us  other %8.1f us  "
                    "total %9.1f us (layers x%.1f)  wall %9.1f us\n",
                    what, s.rows, g, s.gpus[g].phase_s[0] * 1e6, s.gpus[g].phase_s[1] * 1e6, s.gpus[g].phase_s[2] * 1e6,
                    s.gpus[g].phase_s[3] * 1e6, s.gpus[g].total_s * 1e6, rt.layer_scale(), s.wall_s * 1e6);
    };
    for (int start = 0; start < prompt; start += step_len) {
      RuntimeStep st;
      for (int i = 0; i < batch; ++i)
        st.requests.push_back({.index = i, .chunk_start = start, .chunk_len = std::min(step_len, prompt - start)});
      report("prefill", rt.run_step(st));
    }
    std::vector<StepResult> decodes;
    for (int s = 0; s < output; ++s) {
      RuntimeStep st;
      for (int i = 0; i < batch; ++i) st.requests.push_back({.index = i, .decode = true});
      decodes.push_back(rt.run_step(st));
    }
    if (!decodes.empty()) {
      std::sort(decodes.begin(), decodes.end(), [](const StepResult& a, const StepResult& b) {
        return a.gpus[0].total_s < b.gpus[0].total_s;
      });
      report("decode50", decodes[decodes.size() / 2]);
    }
    for (int g = 0; g < gpus; ++g) {
      const auto h = rt.hidden(g);
      int bad = 0;
      for (uint16_t b : h) bad += ((b & 0x7f80) == 0x7f80);  // inf or NaN
      std::printf("gpu %d: last hidden states %zu values, %d not finite\n", g, h.size(), bad);
      if (bad > 0) return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvsim_runtime_demo: %s\n", e.what());
    return 1;
  }
  return 0;
}
