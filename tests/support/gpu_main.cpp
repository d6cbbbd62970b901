// main() for test programs labelled gpu: without a usable CUDA device the program prints why and
// exits 77, which CTest reports as "Skipped" (SKIP_RETURN_CODE), so CI on a GPU-less machine stays
// green while saying plainly that these tests did not run.
#if !defined(KVSIM_CATCH3)
#define CATCH_CONFIG_RUNNER
#endif
#include "tests/support/catch.h"

#include <cuda_runtime.h>
#include <cstdio>

int main(int argc, char** argv) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    std::printf("SKIPPED: no usable CUDA device (cudaGetDeviceCount: %s, %d devices)\n",
                status == cudaSuccess ? "ok" : cudaGetErrorString(status), count);
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
