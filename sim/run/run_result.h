// RunResult: everything one simulated run produced, before it is written out (sim/metrics).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/executor/step_plan.h"
#include "sim/schedule/request_record.h"

namespace kvsim {

struct GpuResult {
  int id = 0;
  std::int64_t weights_bytes = 0;
  std::int64_t kv_capacity_bytes = 0;   // memory - reserve - weights
  std::int64_t peak_kv_bytes = 0;
  std::int64_t admitted_kv_bytes = 0;   // sum of the decode-peak KV of every request admitted (not in summary.json)
  double attention_s = 0;
  double busy_s = 0;
  double phase_s[kPhaseCount] = {0, 0, 0, 0};
};

struct StepRecord {  // one scheduler iteration, for trace.json
  double start_s;
  double duration_s;
  int decode_requests;
  int prefill_tokens;
};

// Steps by what they ran: only decodes, only prompt chunks, or both. Decode-only steps isolate the
// decode throughput that KV placement acts on (FairKV reports decode throughput).
struct StepMix {
  std::int64_t steps[3] = {0, 0, 0};        // decode-only, prefill-only, mixed
  double time_s[3] = {0, 0, 0};
  std::int64_t decode_tokens[3] = {0, 0, 0};
  std::int64_t prefill_tokens[3] = {0, 0, 0};
  void add(int decode_requests, int prefill_tokens_in_step, double step_s) {
    const int k = prefill_tokens_in_step == 0 ? 0 : decode_requests == 0 ? 1 : 2;
    ++steps[k];
    time_s[k] += step_s;
    decode_tokens[k] += decode_requests;
    prefill_tokens[k] += prefill_tokens_in_step;
  }
};

struct RunResult {
  std::string executor;
  nlohmann::json scenario;              // echo of the scenario as run
  int layers = 0;
  int gpus = 0;
  std::vector<RequestRecord> requests;
  std::vector<GpuResult> gpu;
  std::vector<double> attention_s;      // [layer * gpus + gpu], summed over the run
  std::vector<double> decode_attention_cell_s;  // [layer * gpus + gpu]: the decode part of it
  std::int64_t steps = 0;
  StepMix step_mix;
  double decode_attention_s = 0;        // sum over steps of StepTiming::decode_attention_s
  int peak_running = 0;
  double simulated_s = 0;
  double wall_s = 0;
  nlohmann::json placement;             // heads and copies per GPU per layer
  nlohmann::json placement_quality;     // cost of the placement against the lower bound
  nlohmann::json notes = nlohmann::json::object();
  std::vector<StepRecord> step_records;  // first kMaxTracedSteps steps
  std::vector<TraceSlice> slices;        // detailed steps; start_s absolute
  static constexpr std::size_t kMaxTracedSteps = 100000;
};

}  // namespace kvsim
