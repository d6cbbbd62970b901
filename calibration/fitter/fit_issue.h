// The host's cost of issuing one NCCL collective (sim/topology/collective_issue.h), fitted from
// bench_allreduce output: its `enqueue_seconds` counter is the host time per all-reduce call while
// every GPU's stream is held, so the GPUs cannot push back. Per (GPU count, bytes) the fit takes the
// smallest value over the files (separate processes: host noise, a descheduled thread or a busy core,
// only ever adds), divides by the GPUs the one benchmark thread drove, and fits
//   per GPU = per_gpu_s + per_gpu_channel_s x channels
// by least squares, where channels is what NCCL's enqueue gives that call on the measured machine's
// topology (`topology`, a preset name, with the sim/topology model's protocol choice, which the
// topology tests hold to NCCL's logged choices on 2 x H200).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/topology/collective_issue.h"

namespace kvsim::calib {

struct IssueFit {
  CollectiveIssue cost;
  nlohmann::json fit = nlohmann::json::object();  // files, topology, points, residuals
};

// files: (path, parsed document). Throws InputError (file, pointer, expected, found) on documents
// without enqueue_seconds, a topology that is not a preset with enough GPUs, too few channel counts
// to fit a line, or a negative fitted cost.
IssueFit fit_collective_issue(const std::vector<std::pair<std::string, nlohmann::json>>& files,
                              const std::string& topology);

}  // namespace kvsim::calib
