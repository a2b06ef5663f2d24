// The chunked labelled-positions loss against the plain full-logits cross-entropy: value and
// gradients, for several chunk sizes, and with nothing counted.
#include "oqvl/train/loss.h"

#include <gtest/gtest.h>

#include "torch_test_util.h"

namespace oqvl::train {
namespace {

TEST(LinearCrossEntropy, MatchesFullLogitsCrossEntropyAndGradients) {
  torch::manual_seed(3);
  const int64_t M = 37, H = 16, V = 101;
  for (int64_t chunk : {1, 8, 37, 1000}) {
    auto h1 = torch::randn({M, H}, torch::kFloat64).requires_grad_();
    auto w1 = torch::randn({V, H}, torch::kFloat64).requires_grad_();
    auto t = torch::randint(0, V, {M}, torch::kInt64);
    auto h2 = h1.detach().clone().requires_grad_();
    auto w2 = w1.detach().clone().requires_grad_();
    auto ours = linear_cross_entropy_sum(h1, w1, t, chunk);
    auto ref = torch::nn::functional::cross_entropy(
        torch::matmul(h2, w2.t()), t,
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    EXPECT_NEAR(ours.item<double>(), ref.item<double>(), 1e-9 * std::abs(ref.item<double>()));
    (ours * 0.5).backward();
    (ref * 0.5).backward();
    EXPECT_LT(test::relative_error(h1.grad(), h2.grad()), 1e-9) << "chunk " << chunk;
    EXPECT_LT(test::relative_error(w1.grad(), w2.grad()), 1e-9) << "chunk " << chunk;
  }
}

TEST(LinearCrossEntropy, NoCountedPositionGivesZeroAndZeroGradient) {
  auto h = torch::randn({0, 4}).requires_grad_();
  auto w = torch::randn({7, 4}).requires_grad_();
  auto loss = linear_cross_entropy_sum(h, w, torch::zeros({0}, torch::kInt64));
  EXPECT_EQ(loss.item<float>(), 0.0f);
  loss.backward();
  EXPECT_EQ(w.grad().abs().sum().item<float>(), 0.0f);
}

TEST(LinearCrossEntropy, OnlyWeightNeedsGradient) {
  auto h = torch::randn({5, 4});
  auto w = torch::randn({7, 4}).requires_grad_();
  auto t = torch::tensor({0, 1, 2, 3, 6}, torch::kInt64);
  linear_cross_entropy_sum(h, w, t, 2).backward();
  auto w2 = w.detach().clone().requires_grad_();
  torch::nn::functional::cross_entropy(
      torch::matmul(h, w2.t()), t, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
      .backward();
  EXPECT_LT(test::relative_error(w.grad(), w2.grad()), 1e-5);
}

}  // namespace
}  // namespace oqvl::train
