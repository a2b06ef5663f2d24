#include "oqvl/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "oqvl/core/error.h"

namespace {

TEST(ThreadPool, RunsEveryIndexOnce) {
  oqvl::ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  pool.parallel_for(hits.size(), [&](std::size_t i) { hits[i]++; });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ThreadPool, RethrowsTheFirstError) {
  oqvl::ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(100,
                                 [](std::size_t i) {
                                   if (i == 42) throw std::runtime_error("boom");
                                 }),
               std::runtime_error);
  // The pool stays usable after an error.
  std::atomic<int> n{0};
  pool.parallel_for(10, [&](std::size_t) { n++; });
  EXPECT_EQ(n.load(), 10);
}

TEST(ThreadCount, ZeroMeansAllCoresNegativeIsAnError) {
  EXPECT_GE(oqvl::resolve_thread_count(0), 1);
  EXPECT_EQ(oqvl::resolve_thread_count(3), 3);
  EXPECT_THROW(oqvl::resolve_thread_count(-1), oqvl::Error);
}

TEST(ThreadPool, ZeroItemsIsANoOp) {
  oqvl::ThreadPool pool(2);
  pool.parallel_for(0, [](std::size_t) { FAIL(); });
}

}  // namespace
