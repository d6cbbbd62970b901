// WorkerPool: one persistent host thread per local GPU, made once and woken per task. run(task)
// calls task(i) on worker i for every i at once and returns when all have finished; an exception
// thrown by a task is carried back and rethrown by run() (the lowest worker's first, after every
// worker has finished, so no task is still using the caller's data). A pool of one worker runs the
// task on the calling thread (no hand-over cost). Used by DecoderRuntime so that each GPU's layer
// loop is launched by its own thread (decoder_runtime.h).
//   WorkerPool pool(2);
//   pool.run([&](int i) { cudaSetDevice(i); ...; });
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kvsim::runtime {

class WorkerPool {
 public:
  explicit WorkerPool(int workers);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int size() const { return size_; }
  void run(const std::function<void(int)>& task);

 private:
  void loop(int worker);

  int size_ = 0;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* task_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::vector<std::exception_ptr> errors_;
};

}  // namespace kvsim::runtime
