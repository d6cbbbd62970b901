// The cuda executor (see sim/validate/cuda_backend.h): StepPlans run for real by DecoderRuntime,
// in one process or (KVSIM_CUDA_MPI) one MPI rank per GPU.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/comm/comm.h"
#include "kernels/runtime/decoder_runtime.h"
#include "sim/core/input_error.h"
#include "sim/validate/cuda_backend.h"

#if KVSIM_CUDA_MPI
#include <mpi.h>
#include <unistd.h>

#include "kernels/runtime/runtime_mpi.h"
#endif

namespace kvsim {
namespace {

#if KVSIM_CUDA_MPI
// A rank that cannot go on: the others may be waiting for it in an NCCL or MPI collective, so the
// whole job ends here (cuda_backend.h, "Failure under MPI").
[[noreturn]] void abort_ranks(const std::string& what) {
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::fprintf(stderr, "kvsim: rank %d of %d: %s\nkvsim: rank %d: aborting every rank (MPI_Abort): the others may be "
               "waiting for it in a collective\n", rank, size, what.c_str(), rank);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

// Every rank's string, in rank order, on every rank. Collective.
std::vector<std::string> allgather_strings(const std::string& mine) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int length = static_cast<int>(mine.size());
  std::vector<int> lengths(static_cast<std::size_t>(size)), offsets(static_cast<std::size_t>(size));
  MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD);
  int total = 0;
  for (int r = 0; r < size; ++r) offsets[static_cast<std::size_t>(r)] = total, total += lengths[static_cast<std::size_t>(r)];
  std::string all(static_cast<std::size_t>(total), '\0');
  MPI_Allgatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, MPI_COMM_WORLD);
  std::vector<std::string> out;
  for (int r = 0; r < size; ++r)
    out.push_back(all.substr(static_cast<std::size_t>(offsets[static_cast<std::size_t>(r)]),
                             static_cast<std::size_t>(lengths[static_cast<std::size_t>(r)])));
  return out;
}

// Every rank's `count` numbers, rank after rank, on every rank. Collective.
template <typename T>
std::vector<T> allgather(const T* mine, int count, MPI_Datatype type) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<T> all(static_cast<std::size_t>(size) * static_cast<std::size_t>(count));
  MPI_Allgather(mine, count, type, all.data(), count, type, MPI_COMM_WORLD);
  return all;
}
#endif

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
    if (options.mpi_ranks > 1 && options.mpi_ranks != gpus_)
      throw InputError(s.file, "/hardware/gpus",
                       "as many GPUs as MPI ranks (" + std::to_string(options.mpi_ranks) + "): one rank per GPU",
                       std::to_string(gpus_));
    std::vector<runtime::RuntimeRequest> batch(ctx.requests.size());
    PolicyFootprint fp;
    const ModelSpec& model = ctx.deployment.model;
    for (const Request& r : ctx.requests) {
      if (r.images > 0 && !model.vision)
        throw InputError(s.file, "/workload/images", "no images for a model without a vision tower (" + model.name + ")",
                         "request " + std::to_string(r.id) + " with " + std::to_string(r.images) + " image(s)");
      ctx.policy.footprint(r, fp);
      // The runtime runs every prompt token through every layer and lays out only A-VL's subsets.
      if (!fp.prefill_share.empty())
        throw InputError(s.file, "/attention_policy",
                         "a policy that keeps every prompt token in every layer (the runtime has no prefill filter)",
                         ctx.policy.describe());
      if (fp.computes_subset() && fp.image_stored.empty())
        throw InputError(s.file, "/attention_policy", "a policy the runtime can lay out (full, h2o, streaming_llm, a_vl)",
                         ctx.policy.describe());
      batch.at(static_cast<std::size_t>(r.id)) = runtime::RuntimeRequest{
          .id = r.id, .prompt_tokens = r.prompt_tokens, .output_tokens = r.output_tokens, .budgets = fp.stored,
          .prefix_tokens = r.prefix_tokens, .image_tokens = r.image_tokens,
          .vision_tiles = model.vision ? vision_tiles(*model.vision, r.images, r.image_tokens) : 0,
          .image_stored = fp.image_stored, .image_computed = fp.image_computed};
    }
    runtime::RuntimeConfig config{
        .model = model, .placement = ctx.placement, .layers_run = options.layers, .seed = s.seed};
    config.avl_refresh_interval = ctx.policy.refresh_interval();
    // Steps without per-phase events are scaled whole, which is right only when every layer runs.
    const bool all_layers = options.layers <= 0 || options.layers >= ctx.deployment.model.layers;
    config.phase_every = all_layers ? std::max(options.phase_every, 1) : 1;
    phase_every_ = config.phase_every;
    const int warm_rows = options.warm_up ? std::max(s.scheduler.max_batched_tokens, s.scheduler.max_batch_size) : 0;
    if (options.mpi_ranks > 1) {
#if KVSIM_CUDA_MPI
      distributed_ = true;
      try {
        start_distributed(std::move(config), std::move(batch), warm_rows, s.scheduler.max_batch_size);
      } catch (const std::exception& e) {
        abort_ranks(std::string("the cuda executor could not start: ") + e.what());
      }
      return;
#else
      throw std::runtime_error("this cuda executor was built without MPI: it cannot run one rank per GPU");
#endif
    }
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices < gpus_)
      throw std::runtime_error("the cuda executor needs " + std::to_string(gpus_) + " CUDA device(s); " +
                               std::to_string(devices) + " visible");
    env_ = environment(gpus_);
    runtime_ = std::make_unique<runtime::DecoderRuntime>(std::move(config));
    runtime_->admit(std::move(batch));
    if (warm_rows > 0) runtime_->warm_up(warm_rows, s.scheduler.max_batch_size);
  }

  std::string_view name() const override { return "cuda"; }

  void time_step(const StepPlan& plan, StepTiming& out) override {
    runtime::RuntimeStep step;
    step.requests.reserve(plan.entries.size());
    for (const StepEntry& e : plan.entries)
      step.requests.push_back({.index = static_cast<int>(e.request_id), .decode = e.decode(),
                               .chunk_start = e.chunk_start, .chunk_len = e.chunk_len});
    runtime::StepResult r;
    if (!distributed_) {
      r = runtime_->run_step(step);
    } else {
#if KVSIM_CUDA_MPI
      try {
        r = runtime_->run_step(step);
      } catch (const std::exception& e) {
        abort_ranks("step " + std::to_string(steps_) + ": " + e.what());
      }
#endif
    }
    const double scale = runtime_->layer_scale();
    // Per-layer work stands for all layers (x scale); the once-per-step part (embedding, LM head) does
    // not. A step timed by its ends only (runtime phase_every) has no phases, just its total (then
    // scale is 1: the constructor allows phase_every > 1 only when every layer runs).
    // times: per local GPU kPhaseCount phases then the total, then the host wall time of the step.
    constexpr std::size_t kRow = kPhaseCount + 1;
    std::vector<double> times(static_cast<std::size_t>(runtime_->gpus()) * kRow + 1);
    for (int g = 0; g < runtime_->gpus(); ++g) {
      const runtime::GpuStepTiming& t = r.gpus.at(static_cast<std::size_t>(g));
      double* row = times.data() + static_cast<std::size_t>(g) * kRow;
      row[kPhaseCount] = t.total_s * scale;
      if (!t.phases) continue;
      row[kPhaseCount] = 0;
      for (std::size_t p = 0; p < kPhaseCount; ++p) {
        row[p] = (t.phase_s[p] - t.once_s[p]) * scale + t.once_s[p];
        row[kPhaseCount] += row[p];
      }
    }
    times.back() = r.wall_s;
#if KVSIM_CUDA_MPI
    if (distributed_) {
      // Every rank gets every rank's GPU (rank r drives placement GPU r), so all build the same timing.
      const std::vector<double> all = allgather(times.data(), static_cast<int>(kRow + 1), MPI_DOUBLE);
      times.clear();
      double wall = 0;
      for (int g = 0; g < gpus_; ++g) {
        const auto row = all.begin() + static_cast<long>(g) * static_cast<long>(kRow + 1);
        times.insert(times.end(), row, row + static_cast<long>(kRow));
        wall = std::max(wall, row[static_cast<long>(kRow)]);
      }
      times.push_back(wall);
    }
#endif
    out.reset(layers_, gpus_);
    out.clear_cells();
    for (int g = 0; g < gpus_; ++g) {
      const double* row = times.data() + static_cast<std::size_t>(g) * kRow;
      for (int p = 0; p < kPhaseCount; ++p) out.phase_s[static_cast<std::size_t>(g) * kPhaseCount + p] = row[p];
      out.busy_s[static_cast<std::size_t>(g)] = row[kPhaseCount];
      out.step_s = std::max(out.step_s, row[kPhaseCount]);
    }
    const double wall_s = times.back();
    host_wall_s_ += wall_s;
    ++steps_;
  }

  nlohmann::json notes() const override {
    nlohmann::json n;
    n["runtime"] = runtime_->describe();
    n["layers_run"] = runtime_->layers_run();
    n["layer_scale"] = runtime_->layer_scale();
    n["environment"] = env_;
    n["steps_run"] = steps_;
    n["phase_every"] = phase_every_;  // per-phase CUDA events on every Nth step; the others timed by their ends
    n["host_wall_s"] = host_wall_s_;
    n["kv_selection"] = "at prefill end each head keeps its most recent `kept` prompt tokens, or under A-VL its prefix, "
                        "the last stored image tokens and the last text tokens (the budgets are the policy's; the "
                        "score-based choice of which tokens is not computed; A-VL's refresh steps re-pick the core by "
                        "score)";
    std::vector<std::int64_t> kv = kv_, staging = staging_, weights = weights_;
    if (!distributed_) {
      for (int g = 0; g < gpus_; ++g) {
        kv.push_back(runtime_->kv_bytes(g));
        staging.push_back(runtime_->staging_bytes(g));
        weights.push_back(runtime_->weight_bytes(g));
      }
    }
    // KV of the layers run; comparable with the whole model's prediction only when all layers ran.
    n[runtime_->layers_run() == layers_ ? "kv_bytes_per_gpu" : "kv_bytes_per_gpu_layers_run"] = kv;
    n["staging_bytes_per_gpu"] = staging;
    n["weight_bytes_per_gpu"] = weights;
    if (!ranks_.is_null()) {
      n["mpi_ranks"] = ranks_;
      n["host_wall_s_note"] = "per step the slowest rank's host wall time";
    }
    return n;
  }

 private:
#if KVSIM_CUDA_MPI
  // One rank per GPU: this rank's runtime on its GPU, then what every rank has (per-GPU bytes,
  // environment) gathered to every rank. Collective; a failure here is fatal for the job (caller).
  void start_distributed(runtime::RuntimeConfig config, std::vector<runtime::RuntimeRequest> batch, int warm_rows,
                         int warm_decode_batch) {
    int devices = 0;
    const cudaError_t st = cudaGetDeviceCount(&devices);
    if (st != cudaSuccess || devices < 1)
      throw std::runtime_error(std::string("no CUDA device visible to this rank (cudaGetDeviceCount: ") +
                               cudaGetErrorString(st) + ")");
    config.distributed = runtime::mpi_distributed_rank(MPI_COMM_WORLD);
    const runtime::DistributedRank me = *config.distributed;
    runtime_ = std::make_unique<runtime::DecoderRuntime>(std::move(config));
    runtime_->admit(std::move(batch));
    if (warm_rows > 0) runtime_->warm_up(warm_rows, warm_decode_batch);
    if (runtime_->gpus() != 1 || runtime_->gpu_rank(0) != me.rank)
      throw std::runtime_error("the runtime does not drive exactly this rank's GPU");

    const std::int64_t mine[3] = {runtime_->kv_bytes(0), runtime_->staging_bytes(0), runtime_->weight_bytes(0)};
    static_assert(sizeof(long long) == sizeof(std::int64_t));
    const std::vector<long long> bytes = allgather(reinterpret_cast<const long long*>(mine), 3, MPI_LONG_LONG);
    for (int g = 0; g < gpus_; ++g) {
      kv_.push_back(bytes[static_cast<std::size_t>(g) * 3]);
      staging_.push_back(bytes[static_cast<std::size_t>(g) * 3 + 1]);
      weights_.push_back(bytes[static_cast<std::size_t>(g) * 3 + 2]);
    }
    cudaDeviceProp prop{};
    std::string device_name = cudaGetDeviceProperties(&prop, me.device) == cudaSuccess ? prop.name : "?";
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    const std::vector<std::string> names = allgather_strings(device_name), hosts = allgather_strings(host),
                                   runtimes = allgather_strings(runtime_->describe());
    const std::vector<int> device_ids = allgather(&me.device, 1, MPI_INT);
    env_ = environment(0);  // versions and this rank's visible devices; the GPUs are every rank's
    env_["gpus"] = names;
    char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int length = 0;
    MPI_Get_library_version(version, &length);
    std::string v(version, static_cast<std::size_t>(length));
    env_["mpi"] = v.substr(0, v.find_first_of("\n,"));
    ranks_ = nlohmann::json::array();
    for (int g = 0; g < gpus_; ++g) {
      const std::size_t i = static_cast<std::size_t>(g);
      ranks_.push_back({{"rank", g}, {"gpu", g}, {"host", hosts[i]}, {"device", device_ids[i]}, {"device_name", names[i]},
                        {"runtime", runtimes[i]}});
    }
  }
#endif

  int layers_, gpus_;
  int phase_every_ = 1;
  bool distributed_ = false;
  std::unique_ptr<runtime::DecoderRuntime> runtime_;
  nlohmann::json env_, ranks_;
  std::vector<std::int64_t> kv_, staging_, weights_;  // distributed: every rank's GPU, gathered at construction
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
