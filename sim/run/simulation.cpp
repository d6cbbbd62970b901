// See simulation.h.
#include "sim/run/simulation.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>

#include "sim/budget/budget_source.h"
#include "sim/core/event_queue.h"
#include "sim/core/input_error.h"
#include "sim/core/rng.h"
#include "sim/executor/calibrated_costs.h"
#include "sim/executor/roofline_costs.h"
#include "sim/executor/topology_costs.h"
#include "sim/executor/tp_step_composer.h"
#include "sim/placement/placement.h"
#include "sim/policy/attention_policy.h"
#include "sim/run/deployment.h"
#include "sim/run/placement_search.h"
#include "sim/schedule/batch_scheduler.h"
#include "sim/topology/topology.h"
#include "sim/workload/workload.h"

namespace kvsim {
namespace {

// At equal times: arrivals first, then step ends, then starting an idle engine, so that requests
// arriving together are scheduled together.
enum class EventKind : std::uint8_t { arrival = 0, step_end = 1, wake = 2 };


std::unique_ptr<OpCosts> make_op_costs(const Scenario& s, const std::optional<CalibrationProfile>& profile) {
  switch (s.executor) {
    case ExecutorKind::roofline:
      return std::make_unique<RooflineCosts>(s.gpu, s.model.dtype_bytes);
    case ExecutorKind::calibrated:
      return std::make_unique<CalibratedCosts>(*profile, s.gpu);
    case ExecutorKind::cuda:  // runs steps for real; what prices them (placement search) is the profile's model
      if (profile) return std::make_unique<CalibratedCosts>(*profile, s.gpu);
      return std::make_unique<RooflineCosts>(s.gpu, s.model.dtype_bytes);
  }
  return nullptr;
}

// Measured all-reduce curves of a profile, attached to the topology so that they take precedence
// over the graph's model for groups of the GPU counts they were measured on.
void attach_measured_allreduce(const CalibrationProfile& profile, Topology& topology) {
  const auto& op = profile.op(CalibratedOp::allreduce);
  if (!op) return;
  for (const Series& series : op->series) {
    MeasuredCurve curve;
    for (std::size_t i = 0; i < series.axes[0].size(); ++i)
      curve.emplace_back(static_cast<std::int64_t>(series.axes[0][i]), series.seconds[i]);
    topology.set_measured_allreduce(static_cast<int>(series.key[0]), std::move(curve), profile.file, "/ops/allreduce");
  }
}

// The TP groups of the replicas: from the topology graph when the scenario has one, otherwise
// consecutive GPU ids (and all-reduces priced by the GPU's own interconnect figures).
std::vector<std::vector<int>> tp_groups(const Scenario& s, const std::optional<Topology>& topology) {
  if (topology) {
    const int want = s.gpus * s.replicas;
    if (topology->gpu_count() != want)
      throw InputError(s.file, "/topology",
                       "a topology with hardware.gpus x hardware.replicas = " + std::to_string(want) + " GPUs",
                       std::to_string(topology->gpu_count()) + " GPUs");
    return topology->tp_groups(s.gpus, s.file, "/hardware/gpus");
  }
  std::vector<std::vector<int>> groups(static_cast<std::size_t>(s.replicas));
  for (int r = 0; r < s.replicas; ++r)
    for (int g = 0; g < s.gpus; ++g) groups[static_cast<std::size_t>(r)].push_back(r * s.gpus + g);
  return groups;
}

// One TP group: its scheduler and executor, and whether it is running a step.
struct Replica {
  std::vector<int> gpus;  // global GPU ids, in TP rank order
  std::unique_ptr<StepExecutor> executor;
  std::unique_ptr<BatchScheduler> scheduler;
  bool busy = false;
  bool wake_pending = false;
};

}  // namespace

RunResult simulate(const Scenario& s, const SimulateOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  const std::vector<Request> requests = make_requests(s.workload, s.seed, s.file);
  if (requests.empty()) throw InputError(s.file, "/workload", "at least one request", "none");

  // What each request stores and computes per head: kv_policy's budgets under attention_policy (sim/policy).
  const auto policy = make_attention_policy(s);
  PlacementRequest preq{.model = &s.model, .gpus = s.gpus};
  preq.head_load = mean_stored_per_head(*policy, s.model, 64, profiling_request(requests), mix_seed(s.seed, 0x706c61));
  preq.gpu_memory_bytes = s.gpu.memory_bytes - s.reserve_bytes();
  preq.expected_concurrent_requests = s.scheduler.max_batch_size;
  if (s.executor == ExecutorKind::cuda && !options.executor)
    throw InputError(s.file, "/executor/kind", "an executor this build provides (\"roofline\", \"calibrated\")",
                     "\"cuda\" with no cuda executor given (SimulateOptions::executor)");
  if (options.executor && s.replicas != 1)
    throw InputError(s.file, "/hardware/replicas", "1 (an executor built outside the simulator drives one TP group)",
                     std::to_string(s.replicas));
  std::optional<CalibrationProfile> profile;
  if (!s.profile_path.empty() && s.executor != ExecutorKind::roofline) profile.emplace(load_profile(s.profile_path));
  std::optional<Topology> topology;
  if (!s.topology.is_null()) {
    topology.emplace(make_topology(s.topology, s.file, "/topology"));
    if (profile) attach_measured_allreduce(*profile, *topology);
    if (profile && profile->collective_issue) topology->set_collective_issue(*profile->collective_issue);
  }
  const std::vector<std::vector<int>> groups = tp_groups(s, topology);
  // The op costs of the first TP group: what the cost-driven placement search prices steps with.
  auto group_costs = [&]() {
    std::unique_ptr<OpCosts> costs = make_op_costs(s, profile);
    if (topology) costs = std::make_unique<TopologyCosts>(std::move(costs), topology->group_cost(groups.front()));
    return costs;
  };
  const Placement placement = is_placement_search(s.placement)
                                  ? search_placement(s, preq, group_costs, "/placement")
                                  : make_placement(s.placement, preq, s.file, "/placement");
  Deployment deployment = make_deployment(s, placement);
  deployment.sparse_decode = policy->computes_subset();

  RunResult result;
  result.scenario = s.source;
  result.layers = s.model.layers;
  result.gpus = s.gpus * s.replicas;
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

  std::vector<Replica> replicas;
  for (auto group : groups) {
    Replica rep;
    auto pricing_executor = [&, group]() -> std::unique_ptr<StepExecutor> {
      std::unique_ptr<OpCosts> costs = make_op_costs(s, profile);
      if (topology) costs = std::make_unique<TopologyCosts>(std::move(costs), topology->group_cost(group));
      return std::make_unique<TpStepComposer>(profile ? "calibrated" : "roofline", deployment, std::move(costs));
    };
    if (options.executor)
      rep.executor = options.executor(ExecutorContext{.scenario = s, .deployment = deployment, .placement = placement,
                                                      .policy = *policy, .requests = requests,
                                                      .pricing_executor = pricing_executor});
    else
      rep.executor = pricing_executor();
    rep.scheduler = std::make_unique<BatchScheduler>(s, deployment, placement, *policy, result.requests);
    rep.scheduler->record_entries(static_cast<bool>(options.executor));
    rep.gpus = std::move(group);
    replicas.push_back(std::move(rep));
  }
  result.executor = std::string(replicas.front().executor->name());

  EventQueue<EventKind, std::int64_t> events;  // payload: request id (arrival) or replica index
  for (const Request& r : requests) events.push(r.arrival_s, EventKind::arrival, r.id);

  const int G = s.gpus, total_gpus = result.gpus, L = s.model.layers;
  result.attention_s.assign(static_cast<std::size_t>(L) * total_gpus, 0.0);
  result.decode_attention_cell_s.assign(static_cast<std::size_t>(L) * total_gpus, 0.0);
  result.gpu.resize(static_cast<std::size_t>(total_gpus));
  StepPlan plan;
  StepTiming timing;
  double now = 0;
  auto start_step = [&](std::size_t ri, double t) {
    Replica& rep = replicas[ri];
    if (!rep.scheduler->plan_step(t, plan)) return;
    plan.want_trace = ri == 0 && rep.scheduler->steps() < s.output.trace_detail_steps;
    rep.executor->time_step(plan, timing);
    for (int g = 0; g < G; ++g) {
      const int global = rep.gpus[static_cast<std::size_t>(g)];
      GpuResult& gr = result.gpu[static_cast<std::size_t>(global)];
      gr.busy_s += timing.busy_s[static_cast<std::size_t>(g)];
      for (int p = 0; p < kPhaseCount; ++p) gr.phase_s[p] += timing.phase_s[static_cast<std::size_t>(g) * kPhaseCount + p];
      for (int l = 0; l < L; ++l)
      {
        result.attention_s[static_cast<std::size_t>(l) * total_gpus + global] +=
            timing.attention_s[static_cast<std::size_t>(l) * G + g];
        result.decode_attention_cell_s[static_cast<std::size_t>(l) * total_gpus + global] +=
            timing.decode_attention_cell_s[static_cast<std::size_t>(l) * G + g];
      }
    }
    result.step_mix.add(plan.decode_requests, plan.prefill_tokens, timing.step_s);
    result.decode_attention_s += timing.decode_attention_s;
    if (ri == 0 && result.step_records.size() < RunResult::kMaxTracedSteps)
      result.step_records.push_back({t, timing.step_s, plan.decode_requests, plan.prefill_tokens});
    for (TraceSlice slice : timing.slices) {
      slice.start_s += t;
      result.slices.push_back(slice);
    }
    rep.busy = true;
    events.push(t + timing.step_s, EventKind::step_end, static_cast<std::int64_t>(ri));
  };
  auto route = [&](const Request& r) -> std::size_t {
    if (s.router == Scenario::Router::round_robin) return static_cast<std::size_t>(r.id % s.replicas);
    std::size_t best = 0;  // least outstanding requests, ties to the lowest index
    for (std::size_t i = 1; i < replicas.size(); ++i)
      if (replicas[i].scheduler->outstanding() < replicas[best].scheduler->outstanding()) best = i;
    return best;
  };
  while (!events.empty()) {
    const auto e = events.pop();
    now = e.time_s;
    switch (e.kind) {
      case EventKind::arrival: {
        const Request& r = requests[static_cast<std::size_t>(e.payload)];
        const std::size_t ri = route(r);
        Replica& rep = replicas[ri];
        rep.scheduler->arrive(r);
        if (!rep.busy && !rep.wake_pending) {
          events.push(now, EventKind::wake, static_cast<std::int64_t>(ri));
          rep.wake_pending = true;
        }
        break;
      }
      case EventKind::wake: {
        Replica& rep = replicas[static_cast<std::size_t>(e.payload)];
        rep.wake_pending = false;
        if (!rep.busy) start_step(static_cast<std::size_t>(e.payload), now);
        break;
      }
      case EventKind::step_end: {
        Replica& rep = replicas[static_cast<std::size_t>(e.payload)];
        rep.scheduler->finish_step(now);
        rep.busy = false;
        start_step(static_cast<std::size_t>(e.payload), now);
        break;
      }
    }
  }

  result.simulated_s = now;
  for (const Replica& rep : replicas) {
    result.steps += rep.scheduler->steps();
    result.peak_running = std::max(result.peak_running, rep.scheduler->peak_running());
    for (int g = 0; g < G; ++g) {
      const int global = rep.gpus[static_cast<std::size_t>(g)];
      GpuResult& gr = result.gpu[static_cast<std::size_t>(global)];
      gr.id = global;
      gr.weights_bytes = deployment.weight_bytes[static_cast<std::size_t>(g)];
      gr.kv_capacity_bytes = rep.scheduler->kv_capacity_bytes()[static_cast<std::size_t>(g)];
      gr.peak_kv_bytes = rep.scheduler->peak_kv_bytes()[static_cast<std::size_t>(g)];
      gr.admitted_kv_bytes = rep.scheduler->admitted_kv_bytes()[static_cast<std::size_t>(g)];
      for (int l = 0; l < L; ++l) gr.attention_s += result.attention_s[static_cast<std::size_t>(l) * total_gpus + global];
    }
  }
  result.notes = replicas.front().executor->notes();
  result.notes["kv_policy"] = policy->describe();
  if (s.replicas > 1) {
    result.notes["replicas"] = s.replicas;
    result.notes["router"] = s.router == Scenario::Router::round_robin ? "round_robin" : "least_loaded";
  }
  if (topology) result.notes["topology"] = std::string(topology->name());
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

}  // namespace kvsim
