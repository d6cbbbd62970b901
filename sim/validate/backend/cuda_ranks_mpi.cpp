// CudaRanks of a kvsim built with MPI and the cuda backend: MPI is initialised here when an MPI
// launcher started this process (see cuda_backend.h), and finalised by the destructor.
#include <mpi.h>

#include "sim/validate/backend/mpi_launch.h"
#include "sim/validate/cuda_backend.h"

namespace kvsim {

CudaRanks::CudaRanks() {
  if (detail::launched_ranks() == 0) return;  // not under mpirun/srun: one process, MPI untouched
  int ready = 0;
  MPI_Initialized(&ready);
  if (!ready) {
    MPI_Init(nullptr, nullptr);
    owns_mpi_ = true;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

CudaRanks::~CudaRanks() {
  int done = 0;
  MPI_Finalized(&done);
  if (owns_mpi_ && !done) MPI_Finalize();
}

}  // namespace kvsim
