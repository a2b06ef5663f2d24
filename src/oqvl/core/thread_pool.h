// A fixed pool of worker threads and parallel_for over an index range. Work items are handed
// out dynamically (uneven item costs balance out); results are written by index, so output
// order never depends on the thread count.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace oqvl {

// Threads to use when the user asked for `requested` (0 = all hardware threads); a negative
// count is an oqvl::Error.
int resolve_thread_count(int requested);

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()); }

  // Runs fn(i) for i in [0, n) on the pool and waits. The first exception thrown by any fn is
  // rethrown here after all started items finish; items not yet started are skipped.
  void parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn);

 private:
  void worker_loop();

  std::vector<std::thread> workers_;
  std::queue<std::function<void()>> tasks_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace oqvl
