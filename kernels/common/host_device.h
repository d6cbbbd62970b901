// KVSIM_HOST_DEVICE marks small inline helpers shared by host code (plain C++, also without CUDA)
// and device code.
#pragma once

#if defined(__CUDACC__)
#define KVSIM_HOST_DEVICE __host__ __device__
#else
#define KVSIM_HOST_DEVICE
#endif
