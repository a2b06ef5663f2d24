// Gradient-ready hooks (dist/grad_ready.h) and the ddp reducer built on them: groups start
// during backward, in their order whatever order backward finishes them in; the gradients seen
// are the accumulated ones exactly; what backward did not reach starts in finish().
#include "oqvl/train/dist/grad_ready.h"

#include <gtest/gtest.h>

#include <vector>

#include "oqvl/core/error.h"
#include "oqvl/train/dist/comm.h"
#include "oqvl/train/dist/ddp_reducer.h"

namespace oqvl::train {
namespace {

// A chain x -> w0 -> w1 -> w2 -> loss: backward finishes w2 first, w0 last.
struct Chain {
  std::vector<torch::Tensor> w;
  Chain() {
    torch::manual_seed(7);
    for (int i = 0; i < 3; ++i) w.push_back(torch::randn({4, 4}).requires_grad_(true));
  }
  torch::Tensor loss(const torch::Tensor& x, bool use_w0 = true) const {
    auto h = use_w0 ? torch::tanh(x.matmul(w[0])) : x;
    return torch::tanh(torch::tanh(h.matmul(w[1])).matmul(w[2])).square().sum();
  }
};

TEST(GradReady, StartsGroupsDuringBackwardWithTheAccumulatedGradients) {
  Chain c;
  std::vector<torch::Tensor> final(3);
  int arrived = 0;
  std::vector<std::pair<std::size_t, int>> started;  // group, params arrived by then
  GradReady ready(
      c.w, {{2}, {1}, {0}},
      [&](std::size_t k) {
        final[k] = c.w[k].grad().clone();
        ++arrived;
      },
      [&](std::size_t g) { started.emplace_back(g, arrived); });
  c.loss(torch::randn({3, 4})).backward();  // not armed: nothing reported
  EXPECT_EQ(arrived, 0);
  ready.arm();
  c.loss(torch::randn({3, 4})).backward();
  ASSERT_EQ(started.size(), 3u);
  // Each group started when its own gradient arrived, inside backward.
  EXPECT_EQ(started[0], std::make_pair(std::size_t{0}, 1));
  EXPECT_EQ(started[1], std::make_pair(std::size_t{1}, 2));
  EXPECT_EQ(started[2], std::make_pair(std::size_t{2}, 3));
  EXPECT_EQ(ready.started_in_backward(), 3u);
  ready.finish();
  EXPECT_EQ(started.size(), 3u);
  // What the hook saw is the accumulated gradient of both backwards.
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(torch::equal(final[k], c.w[k].grad())) << "param " << k;
}

TEST(GradReady, KeepsTheGroupOrderAndStartsUnreachedGroupsInFinish) {
  Chain c;
  std::vector<std::size_t> order;
  std::vector<int> arrived_at;
  int arrived = 0;
  // Group 0 = w0, which backward finishes last: group 1 (w2, w1) must wait for it.
  GradReady ready(
      c.w, {{0}, {2, 1}}, [&](std::size_t) { ++arrived; },
      [&](std::size_t g) {
        order.push_back(g);
        arrived_at.push_back(arrived);
      });
  c.loss(torch::randn({3, 4})).backward();
  ready.arm();
  c.loss(torch::randn({3, 4}), /*use_w0=*/false).backward();
  EXPECT_TRUE(order.empty());  // group 0 was not reached, so nothing may start
  EXPECT_EQ(ready.started_in_backward(), 0u);
  ready.finish();
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(arrived_at, (std::vector<int>{3, 3}));
}

TEST(GradReady, TheCallbackMayTakeTheGradient) {
  Chain c;
  std::vector<torch::Tensor> taken(3);
  GradReady ready(
      c.w, {{2, 1, 0}},
      [&](std::size_t k) {
        taken[k] = c.w[k].grad();
        c.w[k].mutable_grad() = torch::Tensor();  // what zero2 does: no whole gradient stays
      },
      [](std::size_t) {});
  auto x = torch::randn({3, 4});
  ready.arm();
  c.loss(x).backward();
  ready.finish();
  Chain ref;
  ref.loss(x).backward();
  for (int k = 0; k < 3; ++k) {
    EXPECT_FALSE(c.w[k].grad().defined());
    EXPECT_TRUE(torch::equal(taken[k], ref.w[k].grad())) << k;
  }
}

TEST(GradReady, RefusesBadGroups) {
  Chain c;
  auto nop = [](std::size_t) {};
  EXPECT_THROW(GradReady(c.w, {{0, 1}}, nop, nop), Error);          // w2 in no group
  EXPECT_THROW(GradReady(c.w, {{0, 1}, {1, 2}}, nop, nop), Error);  // w1 twice
  GradReady ok(c.w, {{0, 1, 2}}, nop, nop);
  EXPECT_THROW(GradReady(c.w, {{0, 1, 2}}, nop, nop), Error);  // the hook slot is taken
  EXPECT_THROW(ok.finish(), Error);                            // not armed
}

// A real (one-rank) Gloo group when this build has one, else the one-process Comm.
std::unique_ptr<Comm> one_rank_comm() {
  DistEnv env;
  if (comm_available()) {
    env.launcher = "torchrun";
    env.master_port = 0;  // the store picks a free port
  }
  return make_comm(env);
}

TEST(DdpReducer, WritesTheSummedGradientsOfEveryParameter) {
  Chain c, ref;
  auto comm = one_rank_comm();
  // 4x4 fp32 = 64 bytes a parameter: buckets of two parameters at most.
  DdpReducer reducer(c.w, *comm, 128);
  EXPECT_EQ(reducer.buckets(), 2u);
  for (int step = 0; step < 2; ++step) {
    torch::manual_seed(100 + step);
    auto x1 = torch::randn({3, 4}), x2 = torch::randn({3, 4});
    reducer.begin_step();
    c.loss(x1).backward();
    reducer.arm();
    c.loss(x2, /*use_w0=*/step == 0).backward();
    reducer.finish();
    ref.loss(x1).backward();
    ref.loss(x2, step == 0).backward();
    for (int k = 0; k < 3; ++k) EXPECT_TRUE(torch::equal(c.w[k].grad(), ref.w[k].grad())) << step << " " << k;
    for (int k = 0; k < 3; ++k) {
      c.w[k].mutable_grad() = torch::Tensor();
      ref.w[k].mutable_grad() = torch::Tensor();
    }
  }
  EXPECT_GE(reducer.take_comm_seconds(), 0.0);
}

TEST(DdpReducer, BfloatSumsAreTheRoundedAccumulatedGradients) {
  Chain c, ref;
  auto comm = one_rank_comm();
  DdpReducer reducer(c.w, *comm, 1 << 20, torch::kBFloat16);
  auto x1 = torch::randn({3, 4}), x2 = torch::randn({3, 4});
  reducer.begin_step();
  c.loss(x1).backward();
  reducer.arm();
  c.loss(x2).backward();
  reducer.finish();
  ref.loss(x1).backward();
  ref.loss(x2).backward();
  for (int k = 0; k < 3; ++k)
    EXPECT_TRUE(torch::equal(c.w[k].grad(), ref.w[k].grad().to(torch::kBFloat16).to(torch::kFloat32))) << k;
}

TEST(DdpReducer, ZerosForAParameterNoBackwardReached) {
  Chain c;
  auto comm = one_rank_comm();
  DdpReducer reducer(c.w, *comm, 1 << 20);
  reducer.begin_step();
  reducer.arm();
  c.loss(torch::randn({3, 4}), /*use_w0=*/false).backward();
  reducer.finish();
  ASSERT_TRUE(c.w[0].grad().defined());
  EXPECT_EQ(c.w[0].grad().abs().sum().item<float>(), 0.0f);
}

}  // namespace
}  // namespace oqvl::train
