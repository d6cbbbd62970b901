// CollectiveIssue: what it costs a host thread to issue one NCCL collective, per GPU the thread
// drives: a fixed part and a part per channel the call uses (NCCL builds a work item per channel and
// launches a kernel per GPU). Measured by calibration (bench_allreduce's enqueue_seconds, fitted by
// `kvsim-fit --issue-from` into a profile's "collective_issue"); zero where no profile gives it.
// sim/topology/collectives.cpp says how it enters a collective's time.
#pragma once

namespace kvsim {

struct CollectiveIssue {
  double per_gpu_s = 0;
  double per_gpu_channel_s = 0;
};

}  // namespace kvsim
