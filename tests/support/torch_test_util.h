// Tensor helpers shared by the torch-linked test binaries (model, eval). Include only there: it
// pulls in libtorch. The torch-free helpers are in test_util.h.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "test_util.h"

namespace oqvl::test {

// max |actual - expected| / max |expected|, computed in float64 (an all-zero `expected` counts
// as 1e-30). The shapes must agree (a test failure otherwise). With a label, prints the absolute
// error and the scale under it.
inline double relative_error(const torch::Tensor& actual, const torch::Tensor& expected,
                             const char* label = nullptr) {
  EXPECT_EQ(actual.sizes(), expected.sizes()) << (label ? label : "relative_error");
  const auto a = actual.to(torch::kFloat64);
  const auto b = expected.to(torch::kFloat64);
  const double abs_err = (a - b).abs().max().item<double>();
  const double scale = b.abs().max().item<double>();
  if (label) std::cout << label << ": max abs error " << abs_err << ", max |expected| " << scale << "\n";
  return abs_err / std::max(scale, 1e-30);
}

#ifdef OQVL_FIXTURES_DIR
// A torch.save'd dict of tensors under tests/fixtures (the goldens tools/make_*_goldens.py write),
// by key. Throws std::runtime_error naming the file when it cannot be read.
inline std::map<std::string, torch::Tensor> read_fixture_tensors(std::string_view relative) {
  const std::string bytes = read_fixture(relative);
  const auto dict = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toGenericDict();
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : dict) out[item.key().toStringRef()] = item.value().toTensor();
  return out;
}
#endif

}  // namespace oqvl::test
