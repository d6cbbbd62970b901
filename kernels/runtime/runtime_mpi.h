// The MPI side of a multi-process DecoderRuntime (one rank per GPU, e.g. under mpirun, also across
// nodes), kept out of kvsim_runtime so that the runtime builds without MPI. Library
// kvsim_runtime_mpi, built when MPI is found.
//   MPI_Init(...);
//   RuntimeConfig cfg{...};
//   cfg.distributed = mpi_distributed_rank(MPI_COMM_WORLD);   // collective: every rank calls it
//   DecoderRuntime rt(cfg);                                     // placement.gpus == ranks
// Rank r of the communicator drives placement GPU r on CUDA device (its rank among the ranks of its
// node) % (devices on the node); rank 0 makes the ncclUniqueId and MPI_Bcast's it to all. Call it
// once per DecoderRuntime: an NCCL id makes one communicator.
#pragma once

#include "kernels/runtime/decoder_runtime.h"

#include <mpi.h>

namespace kvsim::runtime {

DistributedRank mpi_distributed_rank(MPI_Comm comm);

}  // namespace kvsim::runtime
