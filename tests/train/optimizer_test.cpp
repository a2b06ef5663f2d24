// AdamW against torch::optim::AdamW (libtorch's own implementation of torch.optim.AdamW), the
// paper's decay grouping, clipping as clip_grad_norm_, the schedule as HF's cosine-with-warmup,
// and state_dict round trips.
#include "oqvl/train/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "oqvl/core/error.h"
#include "oqvl/train/lr_schedule.h"
#include "torch_test_util.h"

namespace oqvl::train {
namespace {

TEST(AdamW, MatchesLibtorchAdamWOverSteps) {
  torch::manual_seed(0);
  auto a = torch::randn({6, 5}).requires_grad_();
  auto b = torch::randn({5}).requires_grad_();
  auto a2 = a.detach().clone().requires_grad_();
  auto b2 = b.detach().clone().requires_grad_();
  AdamWOptions o;
  o.weight_decay = 0.1;
  AdamW ours({{"layer.weight", a}, {"layer.bias", b}}, o);
  EXPECT_EQ(ours.decayed_count(), 1);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(
      std::vector<torch::Tensor>{a2},
      std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(0.01).weight_decay(0.1)));
  groups.emplace_back(
      std::vector<torch::Tensor>{b2},
      std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(0.01).weight_decay(0.0)));
  torch::optim::AdamW ref(groups, torch::optim::AdamWOptions(0.01));
  for (int step = 0; step < 10; ++step) {
    auto x = torch::randn({3, 6});
    ((x.matmul(a) + b).pow(2).sum()).backward();
    ((x.matmul(a2) + b2).pow(2).sum()).backward();
    ours.step(0.01);
    ref.step();
    ours.zero_grad();
    ref.zero_grad();
  }
  EXPECT_LT(test::relative_error(a, a2), 1e-6);
  EXPECT_LT(test::relative_error(b, b2), 1e-6);
}

TEST(AdamW, StateDictRoundTripContinuesIdentically) {
  auto make = [] { return torch::arange(12, torch::kFloat32).view({3, 4}).div(7).requires_grad_(); };
  auto p1 = make(), p2 = make();
  AdamW o1({{"w", p1}}, {}), o2({{"w", p2}}, {});
  auto grad_step = [](AdamW& o, torch::Tensor& p, int k) {
    p.mutable_grad() = torch::full_like(p, 0.1 * (k + 1));
    o.step(0.05);
  };
  for (int k = 0; k < 3; ++k) grad_step(o1, p1, k);
  for (int k = 0; k < 3; ++k) grad_step(o2, p2, k);
  auto state = o1.state_dict();
  EXPECT_EQ(state.at("step").item<int64_t>(), 3);
  auto p3 = p1.detach().clone().requires_grad_();
  AdamW o3({{"w", p3}}, {});
  o3.load_state_dict(state);
  for (int k = 3; k < 6; ++k) grad_step(o2, p2, k);
  for (int k = 3; k < 6; ++k) grad_step(o3, p3, k);
  EXPECT_TRUE(torch::equal(p2, p3));
  EXPECT_NE(test::error_of([&] {
              o3.load_state_dict({{"step", torch::tensor(1)}});
            }).find("w.exp_avg"),
            std::string::npos);
}

TEST(AdamW, FrozenParameterIsRefused) {
  auto p = torch::zeros({2});
  EXPECT_NE(test::error_of([&] { AdamW({{"frozen", p}}, {}); }).find("frozen"), std::string::npos);
}

TEST(Grouping, DecayOnlyOnMatricesThatAreNotBiases) {
  EXPECT_TRUE(decays("a.weight", torch::zeros({2, 2})));
  EXPECT_FALSE(decays("a.bias", torch::zeros({2, 2})));
  EXPECT_FALSE(decays("norm.weight", torch::zeros({2})));
}

TEST(ClipGradNorm, MatchesLibtorch) {
  auto a = torch::randn({4, 4}).requires_grad_();
  auto b = a.detach().clone().requires_grad_();
  a.mutable_grad() = torch::full({4, 4}, 2.0);
  b.mutable_grad() = torch::full({4, 4}, 2.0);
  const double norm = clip_grad_norm({a}, 1.0);
  const double ref = torch::nn::utils::clip_grad_norm_(std::vector<torch::Tensor>{b}, 1.0);
  EXPECT_NEAR(norm, ref, 1e-6);
  EXPECT_LT(test::relative_error(a.grad(), b.grad()), 1e-7);
}

TEST(LrSchedule, WarmupThenCosineToZeroAsHuggingFace) {
  LrSchedule s{1.0, 10, 110, "cosine", 0.0};
  EXPECT_EQ(s.at(0), 0.0);
  EXPECT_DOUBLE_EQ(s.at(5), 0.5);
  EXPECT_DOUBLE_EQ(s.at(10), 1.0);
  EXPECT_NEAR(s.at(60), 0.5, 1e-12);
  EXPECT_NEAR(s.at(110), 0.0, 1e-12);
  EXPECT_NEAR(s.at(35), 0.5 * (1 + std::cos(std::numbers::pi * 0.25)), 1e-12);
  EXPECT_EQ(warmup_steps_for(4800, 0.03, -1), 144);
  EXPECT_EQ(warmup_steps_for(4800, 0.03, 7), 7);
  LrSchedule c{2.0, 0, 10, "constant", 0.0};
  EXPECT_EQ(c.at(9), 2.0);
}

TEST(AdamW, SlicesUpdateAsTheWholeParameterDoes) {
  // Sharded training updates a parameter as slices of a flat vector (dist/sharded.h): the same
  // elementwise arithmetic, so the same bits; the decay group is the whole parameter's.
  torch::manual_seed(3);
  auto whole = torch::randn({4, 5}).requires_grad_();
  auto flat = whole.detach().clone().reshape({-1});
  AdamWOptions o;
  o.weight_decay = 0.1;
  AdamW ours({{"w.weight", whole}}, o);
  std::vector<AdamW::Param> slices;
  for (std::int64_t start : {0, 7}) {
    AdamW::Param p;
    p.name = "w.weight";
    p.param = flat.narrow(0, start, start == 0 ? 7 : 13);
    p.decay = true;
    p.offset = start;
    p.full_shape = {4, 5};
    slices.push_back(p);
  }
  auto sliced = AdamW::over_slices(slices, o);
  for (int step = 0; step < 5; ++step) {
    auto g = torch::randn({4, 5});
    whole.mutable_grad() = g.clone();
    ours.step(0.01);
    auto gf = g.reshape({-1});
    sliced.step(0.01, {gf.narrow(0, 0, 7), gf.narrow(0, 7, 13)});
  }
  EXPECT_TRUE(torch::equal(whole.detach().reshape({-1}), flat));
  EXPECT_TRUE(torch::equal(ours.params()[0].exp_avg_sq.reshape({-1}).narrow(0, 7, 13),
                           sliced.params()[1].exp_avg_sq));
  EXPECT_THROW(sliced.step(0.01, {torch::Tensor()}), Error);  // one gradient per slice
}

}  // namespace
}  // namespace oqvl::train
