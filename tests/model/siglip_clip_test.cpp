// SigLIP image-text scoring vs Hugging Face SiglipModel on a tiny random checkpoint
// (goldens: tools/make_siglip_clip_goldens.py).
#include "oqvl/model/siglip_clip.h"

#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/image/image_preprocess.h"
#include "oqvl/data/text/sentencepiece_tokenizer.h"
#include "oqvl/model/runtime.h"
#include "oqvl/model/io/state_dict.h"
#include "torch_test_util.h"

namespace oqvl::model {
namespace {

const std::string kDir = std::string(OQVL_FIXTURES_DIR) + "/model/siglip_clip";
const std::string kImages = std::string(OQVL_FIXTURES_DIR) + "/images/";

using oqvl::test::relative_error;

struct Fixture {
  SiglipClipModel model{nullptr};
  StateDict golden;
  nlohmann::json manifest;
};

Fixture load() {
  set_torch_threads(2);
  Fixture f;
  f.model = load_siglip_clip(kDir);
  f.golden = load_torch_pickle(kDir + "/goldens.pt");
  f.manifest = nlohmann::json::parse(read_file(kDir + "/goldens_manifest.json"));
  return f;
}

TEST(SiglipClip, ConfigFromHfFolder) {
  auto config =
      SiglipClipConfig::from_hf_json(nlohmann::json::parse(read_file(kDir + "/config.json")));
  EXPECT_EQ(config.vision.image_size, 32);
  EXPECT_EQ(config.vision.blocks_to_run(), config.vision.num_layers);  // the last block
  EXPECT_EQ(config.text.vocab_size, 200);
  EXPECT_EQ(config.text.hidden_size, 48);
  EXPECT_EQ(config.text.projection_size, 32);
  EXPECT_EQ(config.text.max_position_embeddings, 64);
  auto image = siglip_image_settings(kDir, config.vision);
  EXPECT_EQ(image.width, 32);
  EXPECT_EQ(image.resample, 3);
  EXPECT_THROW(SiglipClipConfig::from_hf_json(nlohmann::json::parse(R"({"text_config": {}})")),
               Error);
  EXPECT_EQ(parse_clip_metric("cosine"), ClipMetric::kCosine);
  EXPECT_THROW(parse_clip_metric("dot"), Error);
}

TEST(SiglipClip, EmbeddingsAndLogitsMatchHf) {
  auto f = load();
  torch::NoGradGuard no_grad;
  const auto& ids = f.golden.at("input_ids");
  const auto& pixels = f.golden.at("pixel_values");
  EXPECT_LE(relative_error(f.model->text_features(ids), f.golden.at("text_embeds")), 1e-5);
  EXPECT_LE(relative_error(f.model->image_features(pixels), f.golden.at("image_embeds")), 1e-5);
  const auto logits = f.model->logits_per_image(pixels, ids);
  EXPECT_LE(relative_error(logits, f.golden.at("logits_per_image")), 1e-5);
  // Pair scores are the diagonal, through the sigmoid or as the plain cosine.
  const auto diag = f.golden.at("logits_per_image").diagonal();
  EXPECT_LE(
      relative_error(f.model->pair_scores(pixels, ids, ClipMetric::kSigmoid), torch::sigmoid(diag)),
      1e-5);
  const auto params = f.model->named_parameters();
  const double scale = params["logit_scale"].exp().item<double>();
  const double bias = params["logit_bias"].item<double>();
  EXPECT_LE(
      relative_error(f.model->pair_scores(pixels, ids, ClipMetric::kCosine), (diag - bias) / scale),
      1e-5);
}

// The whole path from files: our tokenizer and preprocessing feed the model.
TEST(SiglipClip, TokenizerAndPreprocessingMatchHf) {
  auto f = load();
  if (!data::sentencepiece_available()) GTEST_SKIP() << "built without sentencepiece";
  auto tok = data::SiglipTokenizer::from_folder(kDir);
  const auto& expected_ids = f.golden.at("input_ids");
  const auto captions = f.manifest.at("captions").get<std::vector<std::string>>();
  const auto images = f.manifest.at("images").get<std::vector<std::string>>();
  ASSERT_EQ(captions.size(), images.size());
  auto settings = siglip_image_settings(kDir, f.model->config().vision);
  data::PreprocessConfig pre;
  pre.width = settings.width;
  pre.height = settings.height;
  pre.filter = data::ResampleFilter::kBicubic;
  for (int c = 0; c < 3; ++c) {
    pre.mean[c] = settings.mean[c];
    pre.std[c] = settings.std[c];
  }
  const auto n = static_cast<std::int64_t>(captions.size());
  auto ids = torch::empty({n, 64}, torch::kLong);
  auto pixels = torch::empty({n, 3, pre.height, pre.width});
  for (std::int64_t i = 0; i < n; ++i) {
    const auto row = tok.encode_padded(captions[i]);
    for (std::size_t k = 0; k < row.size(); ++k) ids[i][static_cast<std::int64_t>(k)] = row[k];
    const std::string bytes = read_file(kImages + images[i]);
    data::preprocess_encoded({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()},
                             pre, {pixels[i].data_ptr<float>(), data::preprocessed_size(pre)});
  }
  EXPECT_TRUE(torch::equal(ids, expected_ids));
  // HF rescales by a float multiply, torchvision-style code divides: 1-ulp differences at most.
  EXPECT_LE((pixels - f.golden.at("pixel_values")).abs().max().item<double>(), 1e-6);
  torch::NoGradGuard no_grad;
  EXPECT_LE(relative_error(f.model->logits_per_image(pixels, ids), f.golden.at("logits_per_image")),
            1e-5);
}

TEST(SiglipClip, MissingTensorIsNamed) {
  auto config =
      SiglipClipConfig::from_hf_json(nlohmann::json::parse(read_file(kDir + "/config.json")));
  SiglipClipModel model(config);
  auto state = load_torch_pickle(kDir + "/goldens.pt");  // no weights in it
  try {
    model->load_state(state);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing tensor"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace oqvl::model
