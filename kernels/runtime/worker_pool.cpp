// See worker_pool.h.
#include "kernels/runtime/worker_pool.h"

#include <stdexcept>
#include <string>

namespace kvsim::runtime {

WorkerPool::WorkerPool(int workers) : size_(workers) {
  if (workers < 1) throw std::invalid_argument("WorkerPool: " + std::to_string(workers) + " workers");
  errors_.resize(static_cast<std::size_t>(workers));
  if (workers == 1) return;  // inline
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this, i] { loop(i); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::run(const std::function<void(int)>& task) {
  if (threads_.empty()) {
    task(0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    task_ = &task;
    pending_ = size_;
    for (auto& e : errors_) e = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [this] { return pending_ == 0; });
  task_ = nullptr;
  for (const auto& e : errors_)
    if (e) std::rethrow_exception(e);
}

void WorkerPool::loop(int worker) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int)>* task = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      task = task_;
    }
    std::exception_ptr error;
    try {
      (*task)(worker);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      errors_[static_cast<std::size_t>(worker)] = error;
      if (--pending_ == 0) done_.notify_one();
    }
  }
}

}  // namespace kvsim::runtime
