// See simulation.h.
#include "sim/run/simulation.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "sim/budget/budget_source.h"
#include "sim/core/event_queue.h"
#include "sim/core/input_error.h"
#include "sim/core/rng.h"
#include "sim/executor/roofline_costs.h"
#include "sim/executor/tp_step_composer.h"
#include "sim/placement/placement.h"
#include "sim/schedule/batch_scheduler.h"
#include "sim/workload/workload.h"

namespace kvsim {
namespace {

// At equal times: arrivals first, then step ends, then starting an idle engine, so that requests
// arriving together are scheduled together.
enum class EventKind : std::uint8_t { arrival = 0, step_end = 1, wake = 2 };

std::string gib(std::int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
  return buf;
}

// Mean prompt length of the workload: the profiling length of the offline placement statistics.
int profiling_prompt_tokens(const std::vector<Request>& requests) {
  double sum = 0;
  for (const Request& r : requests) sum += r.prompt_tokens;
  return requests.empty() ? 1 : std::max(1, static_cast<int>(sum / static_cast<double>(requests.size()) + 0.5));
}

Deployment make_deployment(const Scenario& s, const Placement& placement) {
  Deployment d{.model = s.model, .gpu = s.gpu, .gpus = s.gpus};
  d.kv_heads_held.assign(static_cast<std::size_t>(s.model.layers) * s.gpus, 0);
  d.kv_heads_served.assign(static_cast<std::size_t>(s.model.layers) * s.gpus, 0.0);
  for (int l = 0; l < s.model.layers; ++l)
    for (int h = 0; h < s.model.kv_heads; ++h)
      for (const HeadCopy& c : placement.head_copies(l, h)) {
        ++d.kv_heads_held[static_cast<std::size_t>(d.index(l, c.gpu))];
        d.kv_heads_served[static_cast<std::size_t>(d.index(l, c.gpu))] += c.share;
      }
  d.weight_bytes = placement.weight_bytes_per_gpu(s.model);
  for (int g = 0; g < s.gpus; ++g) {
    const std::int64_t need = d.weight_bytes[static_cast<std::size_t>(g)] + s.reserve_bytes();
    if (need >= s.gpu.memory_bytes)
      throw InputError(s.file, "/hardware/gpus",
                       "GPUs with room for the weights shard (" + gib(d.weight_bytes[static_cast<std::size_t>(g)]) +
                           " on GPU " + std::to_string(g) + ") plus the reserve (" + gib(s.reserve_bytes()) + ")",
                       std::to_string(s.gpus) + " x " + s.gpu.name + " with " + gib(s.gpu.memory_bytes) + " each");
  }
  return d;
}

std::unique_ptr<StepExecutor> make_executor(const Scenario& s, const Deployment& d) {
  switch (s.executor) {
    case ExecutorKind::roofline:
      return std::make_unique<TpStepComposer>("roofline", d, std::make_unique<RooflineCosts>(s.gpu, s.model.dtype_bytes));
    case ExecutorKind::calibrated:
    case ExecutorKind::cuda:
      break;
  }
  throw InputError(s.file, "/executor/kind", "an executor this build provides (\"roofline\")",
                   s.executor == ExecutorKind::cuda ? "\"cuda\"" : "\"calibrated\"");
}

}  // namespace

RunResult simulate(const Scenario& s) {
  const auto wall_start = std::chrono::steady_clock::now();
  const std::vector<Request> requests = make_requests(s.workload, s.seed, s.file);
  if (requests.empty()) throw InputError(s.file, "/workload", "at least one request", "none");

  const auto budgets = make_budget_source(s.kv_policy, s.model, s.seed, s.file, "/kv_policy", s.base_dir);
  PlacementRequest preq{.model = &s.model, .gpus = s.gpus};
  preq.head_load = mean_kept_per_head(*budgets, s.model, 64, profiling_prompt_tokens(requests), mix_seed(s.seed, 0x706c61));
  preq.gpu_memory_bytes = s.gpu.memory_bytes - s.reserve_bytes();
  preq.expected_concurrent_requests = s.scheduler.max_batch_size;
  const Placement placement = make_placement(s.placement, preq, s.file, "/placement");
  const Deployment deployment = make_deployment(s, placement);
  auto executor = make_executor(s, deployment);

  RunResult result;
  result.executor = std::string(executor->name());
  result.scenario = s.source;
  result.layers = s.model.layers;
  result.gpus = s.gpus;
  result.placement = placement.to_json();
  result.placement_quality = evaluate_placement(placement, s.model, preq.head_load).to_json();
  result.requests.resize(requests.size());
  for (const Request& r : requests) {
    RequestRecord& rec = result.requests[static_cast<std::size_t>(r.id)];
    rec.id = r.id;
    rec.arrival_s = r.arrival_s;
    rec.prompt_tokens = r.prompt_tokens;
    rec.output_tokens = r.output_tokens;
  }

  BatchScheduler scheduler(s, deployment, placement, *budgets, result.requests);
  EventQueue<EventKind, std::int64_t> events;  // payload: request id for arrivals
  for (const Request& r : requests) events.push(r.arrival_s, EventKind::arrival, r.id);

  const std::size_t cells = static_cast<std::size_t>(s.model.layers) * s.gpus;
  result.attention_s.assign(cells, 0.0);
  result.gpu.resize(static_cast<std::size_t>(s.gpus));
  StepPlan plan;
  StepTiming timing;
  bool busy = false;
  bool wake_pending = false;
  double now = 0;
  auto start_step = [&](double t) {
    if (!scheduler.plan_step(t, plan)) return;
    plan.want_trace = scheduler.steps() < s.output.trace_detail_steps;
    executor->time_step(plan, timing);
    for (std::size_t i = 0; i < cells; ++i) result.attention_s[i] += timing.attention_s[i];
    for (int g = 0; g < s.gpus; ++g) {
      GpuResult& gr = result.gpu[static_cast<std::size_t>(g)];
      gr.busy_s += timing.busy_s[static_cast<std::size_t>(g)];
      for (int p = 0; p < kPhaseCount; ++p)
        gr.phase_s[p] += timing.phase_s[static_cast<std::size_t>(g) * kPhaseCount + p];
    }
    result.step_mix.add(plan.decode_requests, plan.prefill_tokens, timing.step_s);
    if (result.step_records.size() < RunResult::kMaxTracedSteps)
      result.step_records.push_back({t, timing.step_s, plan.decode_requests, plan.prefill_tokens});
    for (TraceSlice slice : timing.slices) {
      slice.start_s += t;
      result.slices.push_back(slice);
    }
    busy = true;
    events.push(t + timing.step_s, EventKind::step_end, -1);
  };
  while (!events.empty()) {
    const auto e = events.pop();
    now = e.time_s;
    switch (e.kind) {
      case EventKind::arrival:
        scheduler.arrive(requests[static_cast<std::size_t>(e.payload)]);
        if (!busy && !wake_pending) {
          events.push(now, EventKind::wake, -1);
          wake_pending = true;
        }
        break;
      case EventKind::wake:
        wake_pending = false;
        if (!busy) start_step(now);
        break;
      case EventKind::step_end:
        scheduler.finish_step(now);
        busy = false;
        start_step(now);
        break;
    }
  }

  result.simulated_s = now;
  result.steps = scheduler.steps();
  result.peak_running = scheduler.peak_running();
  for (int g = 0; g < s.gpus; ++g) {
    GpuResult& gr = result.gpu[static_cast<std::size_t>(g)];
    gr.id = g;
    gr.weights_bytes = deployment.weight_bytes[static_cast<std::size_t>(g)];
    gr.kv_capacity_bytes = scheduler.kv_capacity_bytes()[static_cast<std::size_t>(g)];
    gr.peak_kv_bytes = scheduler.peak_kv_bytes()[static_cast<std::size_t>(g)];
    for (int l = 0; l < s.model.layers; ++l) gr.attention_s += result.attention_s[static_cast<std::size_t>(l) * s.gpus + g];
  }
  result.notes = executor->notes();
  result.notes["kv_policy"] = budgets->describe();
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

}  // namespace kvsim
