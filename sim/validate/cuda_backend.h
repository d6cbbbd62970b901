// The cuda executor's entry point, in every build: kvsim_cuda_backend is the real one when the
// kernels and the runtime are built (backend/cuda_executor.cpp), a stub that says what is missing
// otherwise (backend/cuda_backend_none.cpp).
//
// The cuda executor runs each StepPlan's requests with kvsim::runtime::DecoderRuntime on the local
// GPUs 0..gpus-1 (one process): every request of the run is admitted at the start with its decode
// peak of KV (so allocated KV is the sum over requests of what the scheduler reserves for each), and
// each step's measured per-GPU phase times (CUDA events) become the step's timing.
#pragma once

#include <string>

#include "sim/run/simulation.h"

namespace kvsim {

struct CudaBackendOptions {
  int layers = 0;        // run only the first N decoder layers and scale their times (0: all)
  bool warm_up = true;   // load kernels and GEMM plans before the first timed step
};

// Empty when the backend is built; otherwise why not (one line).
std::string cuda_backend_missing();

// Throws std::runtime_error with cuda_backend_missing() when the backend is not built. The
// executor it builds throws InputError for a scenario it cannot run (a policy or model part the
// runtime lacks) and std::runtime_error for a CUDA, NCCL or memory failure.
ExecutorFactory cuda_executor_factory(const CudaBackendOptions& options);

}  // namespace kvsim
