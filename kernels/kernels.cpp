// KernelParams dispatch (see kernels.h).
#include "kernels/kernels.h"

#include <stdexcept>
#include <string>

namespace kvsim::kernels {

void run(const KernelParams& p, void* workspace, cudaStream_t stream) {
  if (const Support s = supported(p); !s) throw std::invalid_argument(std::string(kernel_name(p)) + ": " + s.why);
  std::visit([&](const auto& x) { run(x, workspace, stream); }, p);
}

}  // namespace kvsim::kernels
