#include "oqvl/model/projector.h"

#include <charconv>
#include <cmath>
#include <optional>

#include "oqvl/core/error.h"
#include "oqvl/model/io/state_dict.h"

namespace oqvl::model {

namespace {

// The side of a square count, or nullopt.
std::optional<std::int64_t> square_side(std::int64_t n) {
  if (n <= 0) return std::nullopt;
  auto s = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
  if (s * s != n) return std::nullopt;
  return s;
}

}  // namespace

std::vector<std::pair<std::int64_t, std::int64_t>> adaptive_pool_bins(std::int64_t in,
                                                                      std::int64_t out) {
  if (in <= 0 || out <= 0)
    fail("adaptive pooling: sizes must be positive (in {}, out {})", in, out);
  std::vector<std::pair<std::int64_t, std::int64_t>> bins;
  for (std::int64_t i = 0; i < out; ++i) {
    bins.emplace_back(i * in / out, ((i + 1) * in + out - 1) / out);
  }
  return bins;
}

torch::Tensor pool_tokens(const torch::Tensor& x, std::int64_t num_tokens) {
  if (x.dim() != 3)
    fail("pooling projector: features have shape {}, expected [B, N, D]", shape_string(x.sizes()));
  const auto b = x.size(0), n = x.size(1), d = x.size(2);
  const auto h = square_side(n);
  if (!h) fail("pooling projector: {} vision tokens is not a square grid", n);
  const auto q = square_side(num_tokens);
  if (!q) fail("pooling projector: {} output tokens is not a square grid", num_tokens);
  if (*q == *h) return x;                                    // identity (SFT: 729 -> 729)
  auto grid = x.transpose(1, 2).reshape({b, d, *h, *h});     // [B, D, h, h]
  auto pooled = torch::adaptive_avg_pool2d(grid, {*q, *q});  // [B, D, q, q]
  return pooled.reshape({b, d, *q * *q}).transpose(1, 2);    // [B, Q, D], row-major
}

std::int64_t avgpool_tokens_from_arch_specifier(std::string_view spec) {
  constexpr std::string_view kSuffix = "avgpool";
  if (spec.size() < kSuffix.size() || spec.substr(spec.size() - kSuffix.size()) != kSuffix) {
    fail("arch_specifier '{}' does not end in 'avgpool'", spec);
  }
  const auto plus = spec.rfind('+');
  const std::string_view last = plus == std::string_view::npos ? spec : spec.substr(plus + 1);
  if (last == kSuffix) return 144;
  // "<Q>-avgpool"
  const std::string_view number = last.substr(0, last.size() - kSuffix.size());
  std::int64_t q = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), q);
  if (ec != std::errc() || end + 1 != number.data() + number.size() || *end != '-' ||
      !square_side(q)) {
    fail("arch_specifier '{}': expected '<square number>-avgpool' after the last '+'", spec);
  }
  return q;
}

PoolingProjectorImpl::PoolingProjectorImpl(std::int64_t vision_dim, std::int64_t llm_dim)
    : vision_dim_(vision_dim), llm_dim_(llm_dim) {
  mlp_projector_ = register_module(
      "mlp_projector",
      torch::nn::Sequential(torch::nn::Linear(vision_dim, llm_dim),
                            torch::nn::GELU(torch::nn::GELUOptions().approximate("none")),
                            torch::nn::Linear(llm_dim, llm_dim)));
}

torch::Tensor PoolingProjectorImpl::forward(const torch::Tensor& features,
                                            std::int64_t num_tokens) {
  if (features.dim() != 3 || features.size(2) != vision_dim_) {
    fail("pooling projector: features have shape {}, expected [B, N, {}]",
         shape_string(features.sizes()), vision_dim_);
  }
  auto x = pool_tokens(features, num_tokens);  // [B, Q, Dv]
  return mlp_projector_->forward(x);           // Linear, GELU(erf), Linear: [B, Q, Dl]
}

void PoolingProjectorImpl::load_state(const StateDict& state) {
  const std::string anchor = "mlp_projector.0.weight";
  std::optional<std::string> prefix;
  for (const auto& [name, tensor] : state) {
    if (name.size() < anchor.size() ||
        name.compare(name.size() - anchor.size(), anchor.size(), anchor) != 0) {
      continue;
    }
    std::string p = name.substr(0, name.size() - anchor.size());
    if (!p.empty() && p.back() != '.') continue;
    if (prefix) fail("state dict holds more than one projector ('{}', '{}')", *prefix, p);
    prefix = std::move(p);
  }
  if (!prefix) fail("missing tensor '{}' in the state dict", anchor);
  load_module(*this, state, *prefix, "projector weights");
}

}  // namespace oqvl::model
