// The cuda backend of a build without CUDA or NCCL: it says so.
#include <stdexcept>

#include "sim/validate/cuda_backend.h"

namespace kvsim {

std::string cuda_backend_missing() {
  return "this kvsim was built without the CUDA backend (it needs the CUDA toolkit and NCCL at configure time)";
}

ExecutorFactory cuda_executor_factory(const CudaBackendOptions&) { throw std::runtime_error(cuda_backend_missing()); }

}  // namespace kvsim
