// The kvsim binary without MPI (CMake found no MPI library): sweeps run in one process.
#include "sim/sweep/cluster.h"

namespace kvsim::sweep {

std::unique_ptr<Cluster> make_mpi_cluster_if_launched() { return nullptr; }
bool built_with_mpi() { return false; }

}  // namespace kvsim::sweep
