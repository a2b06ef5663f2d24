#include "oqvl/core/thread_pool.h"

#include <atomic>
#include <exception>

#include "oqvl/core/error.h"

namespace oqvl {

int resolve_thread_count(int requested) {
  if (requested < 0) fail("--threads must be 0 (all cores) or more, got {}", requested);
  if (requested > 0) return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

ThreadPool::ThreadPool(int threads) {
  int n = resolve_thread_count(threads);
  workers_.reserve(n);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::worker_loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stop_ and drained
      task = std::move(tasks_.front());
      tasks_.pop();
    }
    task();
  }
}

void ThreadPool::parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn) {
  if (n == 0) return;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex done_mutex;
  std::condition_variable done_cv;
  std::size_t runners = std::min<std::size_t>(n, workers_.size());
  std::size_t finished = 0;

  auto run = [&] {
    for (;;) {
      std::size_t i = next.fetch_add(1);
      if (i >= n || failed.load()) break;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(done_mutex);
        if (!failed.exchange(true)) error = std::current_exception();
      }
    }
    std::lock_guard lock(done_mutex);
    ++finished;
    done_cv.notify_one();
  };
  {
    std::lock_guard lock(mutex_);
    for (std::size_t r = 0; r < runners; ++r) tasks_.push(run);
  }
  cv_.notify_all();
  std::unique_lock lock(done_mutex);
  done_cv.wait(lock, [&] { return finished == runners; });
  if (error) std::rethrow_exception(error);
}

}  // namespace oqvl
