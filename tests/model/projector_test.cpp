#include "oqvl/model/projector.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <unistd.h>

#include "oqvl/core/error.h"
#include "oqvl/model/runtime.h"
#include "oqvl/model/io/state_dict.h"
#include "torch_test_util.h"

namespace oqvl::model {
namespace {

const std::string kGolden = std::string(OQVL_FIXTURES_DIR) + "/model/projector_golden.pt";

using oqvl::test::relative_error;

TEST(Projector, BinsMatchSpec27To12) {
  const std::vector<std::pair<std::int64_t, std::int64_t>> spec = {
      {0, 3},   {2, 5},   {4, 7},   {6, 9},   {9, 12},  {11, 14},
      {13, 16}, {15, 18}, {18, 21}, {20, 23}, {22, 25}, {24, 27}};
  EXPECT_EQ(adaptive_pool_bins(27, 12), spec);
}

TEST(Projector, PoolingUsesTheSpecWindows) {
  // Token (r, c) of a 27x27 grid carries r, r^2, c, c^2: a 3-wide window is pinned by its mean
  // and mean square, so this checks the rows and columns each pooled token averages.
  set_torch_threads(2);
  auto r = torch::arange(27, torch::kFloat64).view({27, 1}).expand({27, 27});
  auto c = torch::arange(27, torch::kFloat64).view({1, 27}).expand({27, 27});
  auto x = torch::stack({r, r * r, c, c * c}, -1).reshape({1, 729, 4});  // [1, 729, 4] row-major
  auto y = pool_tokens(x, 144);                                          // [1, 144, 4]
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 144, 4}));
  auto bins = adaptive_pool_bins(27, 12);
  auto mean = [](std::int64_t a, std::int64_t b, int power) {
    double s = 0;
    for (auto i = a; i < b; ++i) s += power == 1 ? i : i * i;
    return s / static_cast<double>(b - a);
  };
  for (int i = 0; i < 12; ++i) {
    for (int j = 0; j < 12; ++j) {
      auto t = y[0][i * 12 + j];
      EXPECT_NEAR(t[0].item<double>(), mean(bins[i].first, bins[i].second, 1), 1e-12);
      EXPECT_NEAR(t[1].item<double>(), mean(bins[i].first, bins[i].second, 2), 1e-12);
      EXPECT_NEAR(t[2].item<double>(), mean(bins[j].first, bins[j].second, 1), 1e-12);
      EXPECT_NEAR(t[3].item<double>(), mean(bins[j].first, bins[j].second, 2), 1e-12);
    }
  }
  EXPECT_TRUE(torch::equal(pool_tokens(x, 729), x));  // SFT: identity
  EXPECT_THROW(pool_tokens(x, 140), Error);
  EXPECT_THROW(pool_tokens(x.narrow(1, 0, 728), 144), Error);
}

TEST(Projector, ArchSpecifier) {
  EXPECT_EQ(avgpool_tokens_from_arch_specifier("no-align+avgpool"), 144);
  EXPECT_EQ(avgpool_tokens_from_arch_specifier("full-align+729-avgpool"), 729);
  EXPECT_EQ(avgpool_tokens_from_arch_specifier("avgpool"), 144);
  EXPECT_THROW(avgpool_tokens_from_arch_specifier("no-align+gelu-mlp"), Error);
  EXPECT_THROW(avgpool_tokens_from_arch_specifier("full-align+730-avgpool"), Error);
  EXPECT_THROW(avgpool_tokens_from_arch_specifier("full-align+x-avgpool"), Error);
}

class ProjectorGolden : public ::testing::TestWithParam<int> {};

TEST_P(ProjectorGolden, ForwardAndGradientsMatchPyTorch) {
  set_torch_threads(2);
  const int q = GetParam();
  StateDict g = load_torch_pickle(kGolden);
  const std::string p = "q" + std::to_string(q) + ".";
  auto features = g.at("features").clone().requires_grad_(true);  // [1, 729, 8]
  PoolingProjector proj(8, 12);
  StateDict weights;
  for (const auto& [k, v] : g) {
    if (k.rfind("w.", 0) == 0) weights.emplace(k, v);
  }
  proj->load_state(weights);  // finds the prefix of "w.projector.mlp_projector.*"

  if (q != 729) {
    EXPECT_LE(relative_error(pool_tokens(features, q), g.at(p + "pooled")), 1e-6);
  }
  auto y = proj->forward(features, q);  // [1, q, 12]
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{1, q, 12}));
  EXPECT_LE(relative_error(y, g.at(p + "expected")), 1e-5);

  (y * g.at(p + "loss_weights")).sum().backward();
  EXPECT_LE(relative_error(features.grad(), g.at(p + "grad.features")), 1e-5);
  for (const auto& item : proj->named_parameters()) {
    SCOPED_TRACE(item.key());
    EXPECT_LE(relative_error(item.value().grad(), g.at(p + "grad." + item.key())), 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(Tokens, ProjectorGolden, ::testing::Values(144, 729));

TEST(Projector, LoadsFromSafetensors) {
  // The weights through the project's safetensors writer and reader, under Prismatic's prefix.
  set_torch_threads(2);
  StateDict g = load_torch_pickle(kGolden);
  StateDict weights;
  for (const char* k : {"0.weight", "0.bias", "2.weight", "2.bias"}) {
    weights[std::string("projector.mlp_projector.") + k] =
        g.at(std::string("w.projector.mlp_projector.") + k);
  }
  const auto path = std::filesystem::temp_directory_path() /
                    ("oqvl_projector_test_" + std::to_string(::getpid()) + ".safetensors");
  save_safetensors(path, weights);
  PoolingProjector proj(8, 12);
  proj->load_state(load_safetensors(path));
  std::filesystem::remove(path);
  torch::NoGradGuard no_grad;
  EXPECT_LE(relative_error(proj->forward(g.at("features"), 144), g.at("q144.expected")), 1e-5);
}

TEST(Projector, ParameterNamesAndErrors) {
  PoolingProjector proj(8, 12);
  auto params = proj->named_parameters();
  EXPECT_EQ(params.size(), 4u);
  EXPECT_TRUE(params.contains("mlp_projector.0.weight"));
  EXPECT_TRUE(params.contains("mlp_projector.2.bias"));
  EXPECT_THROW(proj->load_state(StateDict{}), Error);
  StateDict wrong;
  wrong["mlp_projector.0.weight"] = torch::zeros({12, 8});
  wrong["mlp_projector.0.bias"] = torch::zeros({12});
  wrong["mlp_projector.2.weight"] = torch::zeros({12, 12});
  try {
    proj->load_state(wrong);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mlp_projector.2.bias"), std::string::npos) << e.what();
  }
  EXPECT_THROW(proj->forward(torch::zeros({1, 729, 9}), 144), Error);
  // Strict as every loader: an unknown tensor under the projector's prefix is named.
  StateDict extra;
  for (const auto& item : proj->named_parameters())
    extra["projector." + item.key()] = item.value().detach().clone();
  EXPECT_NO_THROW(proj->load_state(extra));
  extra["projector.mlp_projector.1.weight"] = torch::zeros({1});
  try {
    proj->load_state(extra);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unexpected tensor 'projector.mlp_projector.1.weight'"),
              std::string::npos)
        << e.what();
  }
  PoolingProjector full;  // Open-Qwen2VL's sizes: 4,131,840 parameters (docs/recipe.md §5.2)
  std::int64_t n = 0;
  for (const auto& t : full->parameters()) n += t.numel();
  EXPECT_EQ(n, 4131840);
}

}  // namespace
}  // namespace oqvl::model
