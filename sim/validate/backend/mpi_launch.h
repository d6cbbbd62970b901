// launched_ranks(): how many MPI ranks the environment says this process is one of, read from the
// variables mpirun/mpiexec (Open MPI, MPICH, PMIx) and srun set, without touching MPI: 0 when none
// is set (not started by an MPI launcher), -1 when launched but the count is not in the environment.
// Shared by the CudaRanks of builds with and without MPI (cuda_ranks_mpi.cpp, cuda_ranks_none.cpp).
#pragma once

#include <cstdlib>

namespace kvsim::detail {

inline int launched_ranks() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* v = std::getenv(var)) return std::atoi(v);
  for (const char* var : {"PMI_RANK", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(var)) return -1;
  return 0;
}

}  // namespace kvsim::detail
