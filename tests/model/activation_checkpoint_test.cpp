// Activation checkpointing changes memory, not math: the same loss and gradients as without it.
#include "oqvl/model/activation_checkpoint.h"

#include <gtest/gtest.h>

#include "oqvl/model/qwen2.h"
#include "torch_test_util.h"

namespace oqvl::model {
namespace {

TEST(ActivationCheckpoint, DecoderStackGivesTheSameGradients) {
  Qwen2Config c;
  c.vocab_size = 50;
  c.hidden_size = 16;
  c.intermediate_size = 24;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 4;
  torch::manual_seed(1);
  Qwen2ForCausalLM a(c), b(c);
  torch::NoGradGuard no_grad;
  for (auto& item : b->named_parameters()) item.value().copy_(a->named_parameters()[item.key()]);
  b->model->checkpoint_layers = true;
  auto ids = torch::randint(0, 50, {2, 9}, torch::kInt64);
  auto spec = AttentionSpec::causal(torch::tensor({9, 6}, torch::kInt64));
  torch::Tensor la, lb;
  {
    torch::AutoGradMode on(true);
    la = a->forward(ids, spec).pow(2).mean();
    lb = b->forward(ids, spec).pow(2).mean();
    la.backward();
    lb.backward();
  }
  EXPECT_EQ(la.item<float>(), lb.item<float>());
  for (auto& item : a->named_parameters()) {
    auto other = b->named_parameters()[item.key()].grad();
    ASSERT_TRUE(other.defined()) << item.key();
    EXPECT_LT(test::relative_error(other, item.value().grad()), 1e-6) << item.key();
  }
}

}  // namespace
}  // namespace oqvl::model
