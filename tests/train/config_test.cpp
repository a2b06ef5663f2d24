// Run config: defaults, stage defaults, overrides, and one clear error for each kind of mistake.
#include "oqvl/train/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_util.h"

namespace oqvl::train {
namespace {

namespace fs = std::filesystem;

struct ConfigFixture : ::testing::Test {
  test::TempDir dir;
  fs::path model, manifest, sft;
  void SetUp() override {
    model = dir.path / "model";
    fs::create_directories(model);
    std::ofstream(model / "config.json") << "{}";
    manifest = dir.path / "manifest.json";
    std::ofstream(manifest) << "{}";
    sft = dir.path / "sft.jsonl";
    std::ofstream(sft) << "";
  }
  fs::path write(const std::string& text) {
    auto p = dir.path / "run.toml";
    std::ofstream(p) << text;
    return p;
  }
  std::string base() const {
    return "[run]\nout = \"runs/a\"\n[model]\npath = \"model\"\n[data]\nmanifest = \"manifest.json\"\n";
  }
};

TEST_F(ConfigFixture, DefaultsArePaperPretrainingAndPathsAreRelativeToTheFile) {
  auto c = load_config(write(base()));
  EXPECT_EQ(c.stage, Stage::kPretrain);
  EXPECT_EQ(c.lr, 5e-5);
  EXPECT_EQ(c.weight_decay, 0.01);
  EXPECT_EQ(c.global_batch, 256);
  EXPECT_EQ(c.context, 4096);
  EXPECT_EQ(c.seed, 7u);
  EXPECT_EQ(c.model, (dir.path / "model").lexically_normal());
  EXPECT_EQ(c.out, (dir.path / "runs/a").lexically_normal());
  EXPECT_EQ(c.name, "a");
}

TEST_F(ConfigFixture, SftStageDefaultsAndOverridesWin) {
  auto c = load_config(
      write("[run]\nout = \"r\"\nstage = \"sft\"\n[model]\npath = \"model\"\n[data]\nsft = \"sft.jsonl\"\n"),
      {"optim.lr=1e-4"});
  EXPECT_EQ(c.lr, 1e-4);
  EXPECT_EQ(c.weight_decay, 0.1);
  EXPECT_EQ(c.global_batch, 128);
}

TEST_F(ConfigFixture, SetTakesTomlValuesAndBareWords) {
  auto c = load_config(write(base()),
                       {"batch.global=8", "batch.micro=2", "run.device=cpu", "data.attention=per_sample"});
  EXPECT_EQ(c.global_batch, 8);
  EXPECT_EQ(c.grad_accum(), 4);
  EXPECT_EQ(c.device, "cpu");
  EXPECT_EQ(c.attention, "per_sample");
}

TEST_F(ConfigFixture, ResolvedTomlLoadsBackTheSame) {
  auto c = load_config(write(base()), {"optim.lr=0.002", "batch.max_steps=9"});
  auto again = load_config(write(to_toml(c)));
  EXPECT_EQ(to_toml(again), to_toml(c));
}

// toml++'s printer wrote a string holding a newline and ''' as a multi-line literal string that
// the ''' ended early (the train_config fuzz finding); every string must load back unchanged.
TEST_F(ConfigFixture, AnyStringLoadsBackTheSame) {
  const std::string name = "r\n''' \"q\" \\ \t\x01\x7f caf\xc3\xa9";
  auto c = load_config(write(base()), {});
  c.name = name;
  c.out = dir.path / "runs" / name;
  auto again = load_config(write(to_toml(c)));
  EXPECT_EQ(again.name, name);
  EXPECT_EQ(again.out, c.out);
  EXPECT_EQ(to_toml(again), to_toml(c));
}

TEST_F(ConfigFixture, MistakesAreOneClearError) {
  auto err = [&](const std::string& text, std::vector<std::string> sets = {}) {
    return test::error_of([&] { load_config(write(text), sets); });
  };
  EXPECT_NE(err(base() + "[optim]\nlrr = 1.0\n").find("unknown key 'optim.lrr'"), std::string::npos);
  EXPECT_NE(err(base() + "[optim]\nlr = \"fast\"\n").find("optim.lr: expected a number"), std::string::npos);
  EXPECT_NE(err(base(), {"batch.global=7", "batch.micro=2"}).find("batch.global"), std::string::npos);
  EXPECT_NE(err(base(), {"data.context=100", "model.image_tokens=144"}).find("cannot hold one image"),
            std::string::npos);
  EXPECT_NE(err("[run]\nout = \"r\"\n[model]\npath = \"model\"\n[data]\nmanifest = \"missing.json\"\n")
                .find("data.manifest: '"),
            std::string::npos);
  EXPECT_NE(err(base(), {"run.stage=finetune"}).find("not a stage"), std::string::npos);
  EXPECT_NE(err(base() + "[data\n").find("run.toml:"), std::string::npos);
  EXPECT_NE(err(base(), {"nodot=1"}).find("section.name"), std::string::npos);
}

TEST(ConfigKeys, EveryKeyIsDocumented) {
  for (const auto& k : config_keys()) {
    EXPECT_FALSE(k.doc.empty()) << k.key;
    EXPECT_FALSE(k.type.empty()) << k.key;
  }
}

}  // namespace
}  // namespace oqvl::train
