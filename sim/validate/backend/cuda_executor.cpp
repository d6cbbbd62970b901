// The cuda executor (see sim/validate/cuda_backend.h): StepPlans run for real by DecoderRuntime.
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/comm/comm.h"
#include "kernels/runtime/decoder_runtime.h"
#include "sim/core/input_error.h"
#include "sim/validate/cuda_backend.h"

namespace kvsim {
namespace {

nlohmann::json environment(int gpus) {
  nlohmann::json env;
  int driver = 0, runtime = 0, devices = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  cudaGetDeviceCount(&devices);
  env["cuda_driver_api"] = std::to_string(driver / 1000) + "." + std::to_string(driver % 1000 / 10);
  env["cuda_runtime"] = std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10);
  env["nccl"] = kernels::LocalComm::version();
  env["devices_visible"] = devices;
  nlohmann::json names = nlohmann::json::array();
  for (int g = 0; g < gpus && g < devices; ++g) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, g) == cudaSuccess) names.push_back(p.name);
  }
  env["gpus"] = names;
  return env;
}

class CudaExecutor final : public StepExecutor {
 public:
  CudaExecutor(const ExecutorContext& ctx, const CudaBackendOptions& options)
      : layers_(ctx.deployment.model.layers), gpus_(ctx.deployment.gpus) {
    const Scenario& s = ctx.scenario;
    if (ctx.policy.computes_subset())
      throw InputError(s.file, "/attention_policy",
                       "a policy whose decode reads every stored token (the runtime has no A-VL sparse path yet)",
                       std::string(ctx.policy.name()));
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices < gpus_)
      throw std::runtime_error("the cuda executor needs " + std::to_string(gpus_) + " CUDA device(s); " +
                               std::to_string(devices) + " visible");
    std::vector<runtime::RuntimeRequest> batch(ctx.requests.size());
    PolicyFootprint fp;
    for (const Request& r : ctx.requests) {
      if (r.images > 0)
        throw InputError(s.file, "/workload", "text-only requests (the runtime has no vision tower yet)",
                         "request " + std::to_string(r.id) + " with " + std::to_string(r.images) + " image(s)");
      ctx.policy.footprint(r, fp);
      batch.at(static_cast<std::size_t>(r.id)) = runtime::RuntimeRequest{
          .id = r.id, .prompt_tokens = r.prompt_tokens, .output_tokens = r.output_tokens, .budgets = fp.stored};
    }
    env_ = environment(gpus_);
    runtime_ = std::make_unique<runtime::DecoderRuntime>(runtime::RuntimeConfig{
        .model = ctx.deployment.model, .placement = ctx.placement, .layers_run = options.layers, .seed = s.seed});
    runtime_->admit(std::move(batch));
    if (options.warm_up) runtime_->warm_up(std::max(s.scheduler.max_batched_tokens, s.scheduler.max_batch_size));
  }

  std::string_view name() const override { return "cuda"; }

  void time_step(const StepPlan& plan, StepTiming& out) override {
    runtime::RuntimeStep step;
    step.requests.reserve(plan.entries.size());
    for (const StepEntry& e : plan.entries)
      step.requests.push_back({.index = static_cast<int>(e.request_id), .decode = e.decode(),
                               .chunk_start = e.chunk_start, .chunk_len = e.chunk_len});
    const runtime::StepResult r = runtime_->run_step(step);
    const double scale = runtime_->layer_scale();
    out.reset(layers_, gpus_);
    out.clear_cells();
    // Per-layer work stands for all layers (x scale); the once-per-step part (embedding, LM head) does not.
    for (int g = 0; g < gpus_; ++g) {
      const runtime::GpuStepTiming& t = r.gpus.at(static_cast<std::size_t>(g));
      double total = 0;
      for (int p = 0; p < kPhaseCount; ++p) {
        const std::size_t i = static_cast<std::size_t>(p);
        const double s = (t.phase_s[i] - t.once_s[i]) * scale + t.once_s[i];
        out.phase_s[static_cast<std::size_t>(g) * kPhaseCount + p] = s;
        total += s;
      }
      out.busy_s[static_cast<std::size_t>(g)] = total;
      out.step_s = std::max(out.step_s, total);
    }
    host_wall_s_ += r.wall_s;
    ++steps_;
  }

  nlohmann::json notes() const override {
    nlohmann::json n;
    n["runtime"] = runtime_->describe();
    n["layers_run"] = runtime_->layers_run();
    n["layer_scale"] = runtime_->layer_scale();
    n["environment"] = env_;
    n["steps_run"] = steps_;
    n["host_wall_s"] = host_wall_s_;
    n["kv_selection"] = "at prefill end each head keeps its most recent `kept` prompt tokens (the budgets are AdaKV's; "
                        "the score-based choice of which tokens is not computed)";
    nlohmann::json kv = nlohmann::json::array(), staging = nlohmann::json::array(), weights = nlohmann::json::array();
    for (int g = 0; g < gpus_; ++g) {
      kv.push_back(runtime_->kv_bytes(g));
      staging.push_back(runtime_->staging_bytes(g));
      weights.push_back(runtime_->weight_bytes(g));
    }
    // KV of the layers run; comparable with the whole model's prediction only when all layers ran.
    n[runtime_->layers_run() == layers_ ? "kv_bytes_per_gpu" : "kv_bytes_per_gpu_layers_run"] = kv;
    n["staging_bytes_per_gpu"] = staging;
    n["weight_bytes_per_gpu"] = weights;
    return n;
  }

 private:
  int layers_, gpus_;
  std::unique_ptr<runtime::DecoderRuntime> runtime_;
  nlohmann::json env_;
  double host_wall_s_ = 0;
  std::int64_t steps_ = 0;
};

}  // namespace

std::string cuda_backend_missing() { return {}; }

ExecutorFactory cuda_executor_factory(const CudaBackendOptions& options) {
  return [options](const ExecutorContext& ctx) -> std::unique_ptr<StepExecutor> {
    return std::make_unique<CudaExecutor>(ctx, options);
  };
}

}  // namespace kvsim
