// VLM assembly + forward vs a Python reference of Prismatic's PrismaticVLM.forward built from
// Hugging Face SiglipVisionModel / Qwen2ForCausalLM (goldens from tools/make_vlm_goldens.py).
#include "oqvl/model/vlm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>
#include <string>

#include "oqvl/core/error.h"
#include "oqvl/model/generate.h"
#include "oqvl/model/runtime.h"
#include "oqvl/model/io/state_dict.h"
#include "torch_test_util.h"

namespace oqvl::model {
namespace {

using torch::indexing::Slice;

const std::string kDir = std::string(OQVL_FIXTURES_DIR) + "/model/vlm_tiny";

struct Fixture {
  StateDict g;
  OpenQwen2VL model{nullptr};
  Fixture() {
    set_torch_threads(2);
    g = load_torch_pickle(kDir + "/golden.pt");
    model = load_vlm(kDir);
  }
  static Fixture& get() {
    static Fixture f;
    return f;
  }
};

using oqvl::test::relative_error;

VlmBatch golden_batch(const StateDict& g, const std::string& c) {
  VlmBatch batch;
  batch.input_ids = g.at(c + "_input_ids");
  batch.lengths = g.at(c + "_lengths");
  batch.pixels = g.at("pixels");
  return batch;
}

TEST(Vlm, LoadsFolderConfig) {
  auto& f = Fixture::get();
  EXPECT_EQ(f.model->config().image_tokens, 16);
  EXPECT_EQ(f.model->config().vision.gelu, GeluKind::kErf);
  EXPECT_EQ(f.model->config().llm.head_dim, 10);
  EXPECT_EQ(f.model->config().bos_id, 1);
  // state_dict() names load back into a fresh model.
  OpenQwen2VL copy(f.model->config());
  copy->load_state(f.model->state_dict());
}

TEST(Vlm, ForwardMatchesPrismaticReference) {
  auto& f = Fixture::get();
  for (std::string c : {"a", "b"}) {
    SCOPED_TRACE(c);
    torch::NoGradGuard no_grad;
    auto out = f.model->forward(golden_batch(f.g, c), 0, f.g.at(c + "_max_length").item<int64_t>());
    ASSERT_EQ(out.logits.sizes(), f.g.at(c + "_logits").sizes());
    EXPECT_TRUE(torch::equal(out.batch.labels, f.g.at(c + "_labels")));
    EXPECT_TRUE(torch::equal(out.batch.lengths, f.g.at(c + "_lengths_out")));
    EXPECT_EQ(out.batch.truncated_rows, c == "b" ? 1 : 0);
    // Padded positions are garbage in both implementations; compare the valid ones.
    auto len = out.batch.lengths;
    for (int64_t r = 0; r < len.size(0); ++r) {
      auto n = len[r].item<int64_t>();
      const double e = relative_error(out.logits[r].narrow(0, 0, n),
                                      f.g.at(c + "_logits")[r].narrow(0, 0, n));
      std::cout << "case " << c << " row " << r << " logits rel err " << e << "\n";
      EXPECT_LE(e, 1e-5) << r;
    }
    EXPECT_LE(relative_error(out.loss, f.g.at(c + "_loss")), 1e-6);
  }
}

TEST(Vlm, GradientsMatchReference) {
  auto& f = Fixture::get();
  f.model->zero_grad();
  auto out = f.model->forward(golden_batch(f.g, "a"));
  out.loss.backward();
  int checked = 0;
  double worst = 0;
  for (const auto& [name, p] : f.model->state_dict()) {
    auto it = f.g.find("a_grad." + name);
    if (name.rfind(kVisionPrefix, 0) == 0) {
      EXPECT_FALSE(p.grad().defined() && p.grad().abs().sum().item<double>() != 0) << "frozen: " << name;
      continue;
    }
    ASSERT_NE(it, f.g.end()) << name;
    ASSERT_TRUE(p.grad().defined()) << name;
    const double e = relative_error(p.grad(), it->second);
    worst = std::max(worst, e);
    EXPECT_LE(e, 1e-5) << name;
    ++checked;
  }
  EXPECT_GT(checked, 20);
  std::cout << checked << " gradients, worst rel err " << worst << "\n";
  f.model->zero_grad();
}

TEST(Vlm, PromptEmbedsSpliceOneRow) {
  auto& f = Fixture::get();
  torch::NoGradGuard no_grad;
  auto tokens = f.model->encode_images(f.g.at("pixels").narrow(0, 0, 1), 0);  // [1,16,H]
  std::vector<int64_t> ids = {1, -200, 7, 8};
  auto e = f.model->prompt_embeds(ids, tokens);
  ASSERT_EQ(e.size(0), 3 + 16);
  EXPECT_TRUE(torch::equal(e.narrow(0, 1, 16), tokens[0]));
  EXPECT_TRUE(torch::equal(e[0], f.model->llm->embed(torch::tensor({int64_t{1}}))[0]));
  EXPECT_TRUE(torch::equal(e[18], f.model->llm->embed(torch::tensor({int64_t{8}}))[0]));
}

// HF greedy generate on the same spliced, left-padded prompts (make_vlm_goldens.py).
TEST(Vlm, GreedyGenerationMatchesHF) {
  auto& f = Fixture::get();
  std::vector<torch::Tensor> prompts;
  {
    torch::NoGradGuard no_grad;
    for (int i = 0; i < 3; ++i) {
      const auto ids = f.g.at("gen_prompt" + std::to_string(i));
      std::vector<int64_t> v(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
      prompts.push_back(f.model->prompt_embeds(v, f.model->encode_images(f.g.at("pixels").narrow(0, i, 1), 0)));
    }
  }
  auto as_vector = [](const torch::Tensor& t) {
    auto c = t.to(torch::kInt64).contiguous();
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
  };
  GenerationConfig c;
  c.max_new_tokens = 12;
  auto free_run = generate_from_embeds(f.model->llm, prompts, c);
  const auto stops = as_vector(f.g.at("gen_stop_ids"));
  c.stop_ids = stops;
  auto stopped = generate_from_embeds(f.model->llm, prompts, c);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(free_run[i].tokens, as_vector(f.g.at("gen_free" + std::to_string(i)))) << i;
    EXPECT_EQ(stopped[i].tokens, as_vector(f.g.at("gen_stopped" + std::to_string(i)))) << i;
  }
  EXPECT_EQ(stopped[0].finish_reason, "stop_id");
  EXPECT_EQ(stopped[2].finish_reason, "length");
}

TEST(Vlm, PerSampleLengthsAreClampedAfterTruncation) {
  auto& f = Fixture::get();
  torch::NoGradGuard no_grad;
  auto batch = golden_batch(f.g, "b");
  // Row 0: two samples of 6 + 15 = 21 expanded tokens each (42), truncated at 30.
  batch.sample_lengths = torch::tensor(std::vector<int64_t>{21, 21, 0, 20, 0, 0}).view({2, 3});  // row 1: 5 ids + 15
  auto tokens = f.model->encode_images(batch.pixels, 0);
  auto a = f.model->assemble(batch, tokens, 30);
  ASSERT_EQ(a.attention.mode, AttentionSpec::Mode::kPerSample);
  auto sl = a.attention.sample_lengths;
  EXPECT_EQ(sl[0][0].item<int64_t>(), 21);
  EXPECT_EQ(sl[0][1].item<int64_t>(), 9);
  EXPECT_EQ(sl[0][2].item<int64_t>(), 0);
  EXPECT_EQ(sl[1][0].item<int64_t>(), 20);
}

TEST(Vlm, ErrorsOnMismatchedImages) {
  auto& f = Fixture::get();
  torch::NoGradGuard no_grad;
  auto batch = golden_batch(f.g, "a");
  batch.pixels = batch.pixels.narrow(0, 0, 2);  // 3 placeholders, 2 images
  EXPECT_THROW(f.model->forward(batch), Error);
  batch = golden_batch(f.g, "a");
  batch.input_ids = batch.input_ids.clone();
  batch.input_ids[0][2] = 100000;  // outside the vocabulary
  EXPECT_THROW(f.model->forward(batch), Error);
  StateDict bad = f.model->state_dict();
  bad["stray.weight"] = torch::zeros({1});
  OpenQwen2VL copy(f.model->config());
  EXPECT_THROW(copy->load_state(bad), Error);
}

}  // namespace
}  // namespace oqvl::model
