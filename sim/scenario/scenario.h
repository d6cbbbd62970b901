// Scenario: one fully validated simulation input. load_scenario() reads the JSON file (or the
// built-in default), applies a variant's patches, checks every field and returns this struct; the
// kv_policy, attention_policy, placement and topology objects are kept as JSON and parsed by their own modules, which
// report errors with the same file and pointer conventions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/model/gpu_spec.h"
#include "sim/model/model_spec.h"
#include "sim/workload/workload.h"

namespace kvsim {

inline constexpr int kScenarioSchemaVersion = 1;

struct SchedulerSpec {
  int max_batch_size = 256;          // running requests at most (vLLM's max_num_seqs)
  int max_batched_tokens = 8192;     // tokens per step, decode and prefill together
  bool chunked_prefill = true;       // split long prompts over steps under the token budget
};

enum class ExecutorKind { roofline, calibrated, cuda };

struct OutputSpec {
  int trace_detail_steps = 4;        // steps drawn layer by layer in trace.json (all steps get one slice)
};

// A named variant: JSON pointer -> value patches applied to the scenario before validation.
struct Variant {
  std::string name;
  nlohmann::json set;  // object: pointer -> value
};

struct Scenario {
  std::string file;                  // path for messages ("<built-in default>" for the default)
  std::filesystem::path base_dir;    // relative data paths resolve here
  nlohmann::json source;             // the scenario as read, patches applied (echoed in summary.json)
  std::string name;
  std::uint64_t seed = 1;
  ModelSpec model;
  GpuSpec gpu;
  int gpus = 1;                      // GPUs of one tensor-parallel group
  int replicas = 1;                  // data-parallel copies of the TP group behind a request router
  enum class Router { round_robin, least_loaded } router = Router::round_robin;
  double reserve_fraction = 0.1;     // of GPU memory kept for activations, workspace and the allocator
  WorkloadSpec workload;
  SchedulerSpec scheduler;
  nlohmann::json kv_policy;          // sim/budget parses it
  nlohmann::json attention_policy;   // sim/policy parses it (null: {"kind": "full"})
  nlohmann::json placement;          // sim/placement parses it
  nlohmann::json topology;           // sim/topology parses it (null: a ring at the GPU's interconnect rate)
  ExecutorKind executor = ExecutorKind::roofline;
  std::string profile_path;          // calibrated executor's profile (resolved)
  OutputSpec output;
  std::vector<Variant> variants;     // empty unless the file lists "variants"

  std::int64_t reserve_bytes() const {
    return static_cast<std::int64_t>(static_cast<double>(gpu.memory_bytes) * reserve_fraction);
  }
};

// Reads and validates a scenario file. Throws InputError (one line: file, pointer, expected, found).
Scenario load_scenario(const std::string& path);
// The built-in default: LLaMA-3-70B on 8 H200, AdaKV budgets, TP versus FairKV placements.
Scenario default_scenario();
const nlohmann::json& default_scenario_json();
// Parses already-read JSON (file names the origin for messages).
Scenario parse_scenario(const nlohmann::json& root, const std::string& file, const std::filesystem::path& base_dir);
// The scenario with one variant's patches applied (validated again).
Scenario apply_variant(const Scenario& base, const Variant& variant);
// Sets `value` at JSON `pointer` in `doc`; fails with InputError if the parent does not exist.
void set_by_pointer(nlohmann::json& doc, const std::string& pointer, const nlohmann::json& value,
                    const std::string& file, const std::string& where);

}  // namespace kvsim
