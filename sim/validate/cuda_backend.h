// The cuda executor's entry point, in every build: kvsim_cuda_backend is the real one when the
// kernels and the runtime are built (backend/cuda_executor.cpp), a stub that says what is missing
// otherwise (backend/cuda_backend_none.cpp).
//
// The cuda executor runs each StepPlan's requests with kvsim::runtime::DecoderRuntime on the local
// GPUs 0..gpus-1 (one process): every request of the run is admitted at the start with its decode
// peak of KV (so allocated KV is the sum over requests of what the scheduler reserves for each), and
// each step's measured per-GPU phase times (CUDA events) become the step's timing.
//
// Or one rank per GPU (`mpirun -n G kvsim validate|run ...`, G = the scenario's hardware.gpus; Open
// MPI or any MPI-3; also across nodes): a command holds a CudaRanks for its lifetime and passes
// CudaBackendOptions::mpi_ranks = size(). Each rank then drives placement GPU `rank` (CUDA device:
// its rank among the ranks of its node, modulo the node's devices) with the NCCL id shared through
// MPI (kernels/runtime/runtime_mpi.h). Every rank runs the same deterministic scheduler; after each
// step the ranks MPI_Allgather their GPU's phase times, so every rank builds the identical
// StepTiming (all G GPUs, step_s = the slowest) and the schedules stay identical. KV, staging and
// weight bytes and the environment of every rank are gathered at construction, so rank 0's notes()
// list all GPUs. Only rank 0 should write files or print (the commands do so).
// Failure under MPI: a rank whose runtime fails (CUDA, NCCL, out of memory: in construction,
// admission, warm-up or a step) prints "kvsim: rank R of G: ..." on stderr and calls MPI_Abort,
// because the other ranks may wait for it in a collective forever; mpirun then ends every rank with
// a non-zero status and no output is written (the one-process run keeps the steps measured before
// a failure). Input errors (a policy or model part the runtime lacks, ranks != hardware.gpus) are
// found the same way on every rank before any collective and are thrown as usual.
#pragma once

#include <string>

#include "sim/run/simulation.h"

namespace kvsim {

struct CudaBackendOptions {
  int layers = 0;        // run only the first N decoder layers and scale their times (0: all)
  bool warm_up = true;   // load kernels and GEMM plans before the first timed step
  // Per-phase CUDA events on every Nth step only (the others are timed by their start and end, since
  // each event between kernels costs GPU time); 1 when only some layers run.
  int phase_every = 1;
  int mpi_ranks = 1;     // > 1: this process is one of that many ranks of MPI_COMM_WORLD (CudaRanks::size())
};

// This process's place in an MPI job, for the cuda executor. Constructed once per command before
// any cuda executor, it lives as long as they do. When the environment says this process was
// started by mpirun or srun (OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMI_RANK, PMIX_RANK, MPI_LOCALNRANKS)
// and kvsim was built with MPI and the cuda backend, it initialises MPI (unless already done; the
// destructor then finalises it) and reads rank and size of MPI_COMM_WORLD; otherwise it is rank 0
// of 1 and MPI is untouched. Throws std::runtime_error when the environment says more than one rank
// but this kvsim cannot run the cuda executor over MPI (built without MPI or without the backend).
class CudaRanks {
 public:
  CudaRanks();
  ~CudaRanks();
  CudaRanks(const CudaRanks&) = delete;
  CudaRanks& operator=(const CudaRanks&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool root() const { return rank_ == 0; }

 private:
  int rank_ = 0, size_ = 1;
  bool owns_mpi_ = false;
};

// Empty when the backend is built; otherwise why not (one line).
std::string cuda_backend_missing();

// Throws std::runtime_error with cuda_backend_missing() when the backend is not built. The
// executor it builds throws InputError for a scenario it cannot run (a policy or model part the
// runtime lacks) and std::runtime_error for a CUDA, NCCL or memory failure.
ExecutorFactory cuda_executor_factory(const CudaBackendOptions& options);

}  // namespace kvsim
