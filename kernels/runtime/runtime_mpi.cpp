// See runtime_mpi.h.
#include "kernels/runtime/runtime_mpi.h"

#include "kernels/comm/comm.h"
#include "kernels/common/cuda_check.h"

#include <stdexcept>
#include <string>

namespace kvsim::runtime {

namespace {

void mpi_check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw std::runtime_error(std::string("mpi_distributed_rank: ") + what + ": " + std::string(text, static_cast<std::size_t>(len)));
}

// This rank's index among the ranks on its node.
int node_local_rank(MPI_Comm comm) {
  MPI_Comm node = MPI_COMM_NULL;
  mpi_check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  int local = 0;
  const int rc = MPI_Comm_rank(node, &local);
  MPI_Comm_free(&node);
  mpi_check(rc, "MPI_Comm_rank (node)");
  return local;
}

}  // namespace

DistributedRank mpi_distributed_rank(MPI_Comm comm) {
  DistributedRank d;
  mpi_check(MPI_Comm_rank(comm, &d.rank), "MPI_Comm_rank");
  int devices = 0;
  KVSIM_CUDA_CHECK(cudaGetDeviceCount(&devices));
  if (devices < 1) throw std::runtime_error("mpi_distributed_rank: no CUDA device on rank " + std::to_string(d.rank));
  d.device = node_local_rank(comm) % devices;
  if (d.rank == 0) d.nccl_id = kernels::LocalComm::unique_id();
  mpi_check(MPI_Bcast(&d.nccl_id, sizeof(d.nccl_id), MPI_BYTE, 0, comm), "MPI_Bcast of the NCCL id");
  return d;
}

}  // namespace kvsim::runtime
