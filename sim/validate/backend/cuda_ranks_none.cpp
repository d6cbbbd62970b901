// CudaRanks of a kvsim that cannot run the cuda executor over MPI (built without MPI, or without the
// cuda backend): always rank 0 of 1; a launch with several ranks is refused with the reason.
#include <stdexcept>
#include <string>

#include "sim/validate/backend/mpi_launch.h"
#include "sim/validate/cuda_backend.h"

namespace kvsim {

CudaRanks::CudaRanks() {
  const int ranks = detail::launched_ranks();
  if (ranks > 1 || ranks < 0) {
    const std::string why = cuda_backend_missing().empty()
                                ? "this kvsim was built without MPI (CMake found no MPI library, or KVSIM_MPI=OFF)"
                                : cuda_backend_missing();
    throw std::runtime_error("started as one of " + (ranks > 1 ? std::to_string(ranks) : std::string("several")) +
                             " MPI ranks, but the cuda executor cannot run one rank per GPU: " + why +
                             "; run kvsim as one process, which drives all the local GPUs");
  }
}

CudaRanks::~CudaRanks() = default;

}  // namespace kvsim
