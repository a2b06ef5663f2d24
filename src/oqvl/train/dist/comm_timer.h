// Adds the seconds a scope took to a total: the collectives' share of a step (metrics `comm`).
#pragma once

#include <chrono>

namespace oqvl::train {

class CommTimer {
 public:
  explicit CommTimer(double& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~CommTimer() { total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  CommTimer(const CommTimer&) = delete;
  CommTimer& operator=(const CommTimer&) = delete;

 private:
  double& total_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace oqvl::train
