// DeviceBuffer<T>: an owning, move-only cudaMalloc allocation with checked copies to and from host
// vectors. Used by the decode plan, the tests and the benchmarks; kernels themselves take raw
// pointers in their Params.
#pragma once

#include "kernels/common/cuda_check.h"

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

namespace kvsim::kernels {

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) { resize(count); }
  explicit DeviceBuffer(std::span<const T> host) {
    resize(host.size());
    upload(host);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept { swap(other); }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    DeviceBuffer tmp(std::move(other));
    swap(tmp);
    return *this;
  }
  ~DeviceBuffer() {
    if (ptr_ != nullptr) cudaFree(ptr_);  // no throw from a destructor
  }

  // Reallocates (contents lost) when count exceeds the capacity; never shrinks.
  void resize(std::size_t count) {
    if (count > capacity_) {
      if (ptr_ != nullptr) KVSIM_CUDA_CHECK(cudaFree(ptr_));
      ptr_ = nullptr;
      KVSIM_CUDA_CHECK(cudaMalloc(&ptr_, count * sizeof(T)));
      capacity_ = count;
    }
    size_ = count;
  }
  void upload(std::span<const T> host, cudaStream_t stream = nullptr) {
    resize(host.size());
    if (!host.empty())
      KVSIM_CUDA_CHECK(cudaMemcpyAsync(ptr_, host.data(), host.size_bytes(), cudaMemcpyHostToDevice, stream));
  }
  std::vector<T> download(cudaStream_t stream = nullptr) const {
    std::vector<T> host(size_);
    if (size_ > 0) {
      KVSIM_CUDA_CHECK(cudaMemcpyAsync(host.data(), ptr_, size_ * sizeof(T), cudaMemcpyDeviceToHost, stream));
      KVSIM_CUDA_CHECK(cudaStreamSynchronize(stream));
    }
    return host;
  }
  // Fills every byte with `byte` (0xFF poisons floats and bf16 with NaN).
  void fill_bytes(int byte, cudaStream_t stream = nullptr) {
    if (size_ > 0) KVSIM_CUDA_CHECK(cudaMemsetAsync(ptr_, byte, size_ * sizeof(T), stream));
  }

  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  std::size_t size() const { return size_; }
  std::size_t bytes() const { return size_ * sizeof(T); }

 private:
  void swap(DeviceBuffer& other) noexcept {
    std::swap(ptr_, other.ptr_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }
  T* ptr_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace kvsim::kernels
