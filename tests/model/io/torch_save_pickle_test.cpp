// The torch-free pickle reader of torch.save checkpoints: the seeds (data.pkl of real torch.save
// archives, tools/make_pickle_fuzz_seeds.py) give the tensors torch wrote; the limit cases are
// refused with oqvl::Error under PickleLimits, quickly and without a crash.
#include "oqvl/model/io/torch_save_pickle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "oqvl/core/files.h"
#include "test_util.h"

namespace {

using namespace oqvl::model;
using oqvl::test::error_of;
namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(OQVL_SOURCE_DIR) / "tests/fuzz/corpus/pickle";

PickledStateDict read(const std::string& name, const PickleLimits& limits = {}) {
  return read_state_dict_pickle(oqvl::read_file(kCorpus / name), name, limits);
}

const PickledTensor& find(const PickledStateDict& sd, const std::string& name) {
  for (const auto& t : sd.tensors)
    if (t.name == name) return t;
  throw std::runtime_error("no tensor " + name);
}

TEST(TorchSavePickle, ReadsNestedDictsViewsAndSharedStorage) {
  auto p = read("seed-prismatic.pkl");
  ASSERT_EQ(p.tensors.size(), 3u);
  EXPECT_EQ(p.tensors[0].name, "model.projector.mlp_projector.0.weight");
  EXPECT_EQ(p.tensors[0].storage_type->name, "torch.FloatStorage");
  EXPECT_EQ(p.tensors[0].sizes, (std::vector<std::int64_t>{4, 3}));
  EXPECT_EQ(p.tensors[0].strides, (std::vector<std::int64_t>{3, 1}));
  EXPECT_EQ(find(p, "model.llm_backbone.llm.embed_tokens.weight").storage_type->name,
            "torch.BFloat16Storage");

  // base = arange(12); a = base[:6]; b = base[6:].view(2, 3); t = base.view(3, 4).t()
  auto s = read("seed-shared.pkl");
  const auto &a = find(s, "a"), &b = find(s, "b"), &t = find(s, "t");
  EXPECT_EQ(a.storage_key, b.storage_key);
  EXPECT_EQ(a.storage_key, t.storage_key);
  EXPECT_EQ(a.storage_numel, 12);
  EXPECT_EQ(b.offset, 6);
  EXPECT_EQ(t.sizes, (std::vector<std::int64_t>{4, 3}));
  EXPECT_EQ(t.strides, (std::vector<std::int64_t>{1, 4}));

  auto l = read("seed-leaves.pkl");
  ASSERT_EQ(l.tensors.size(), 1u);
  EXPECT_EQ(l.skipped.size(), 6u);  // step, lr, name, none, list, ok

  auto d = read("seed-dtypes.pkl");
  EXPECT_EQ(find(d, "e").sizes, (std::vector<std::int64_t>{0, 3}));
  EXPECT_TRUE(find(d, "scalar").sizes.empty());
  auto param = read("seed-param.pkl");
  EXPECT_EQ(find(param, "7").sizes, (std::vector<std::int64_t>{1}));  // an int key
  EXPECT_EQ(find(param, "w").sizes, (std::vector<std::int64_t>{2, 2}));
}

TEST(TorchSavePickle, RefusesEveryLimitCase) {
  const std::pair<const char*, const char*> cases[] = {
      {"limit-self-dict.pkl", "nested deeper than 1000"},
      {"limit-deep-dicts.pkl", "nested deeper than 1000"},
      {"limit-dag-2-pow-60.pkl", "flattens to more than"},
      {"limit-rebuild-chain.pkl", "rebuild calls nested deeper than 1000"},
      {"limit-storage-overflow.pkl", "declares 4611686018427387904 elements"},
      {"limit-view-overflow.pkl", "overflows 64 bits"},
      {"limit-view-past-storage.pkl", "reaches past its storage"},
      {"limit-negative-stride.pkl", "not a tuple of ints >= 0"},
  };
  for (const auto& [name, what] : cases) {
    auto e = error_of([&] { read(name); });
    EXPECT_NE(e.find(name), std::string::npos) << e;
    EXPECT_NE(e.find(what), std::string::npos) << name << ": " << e;
  }
}

TEST(TorchSavePickle, LimitsAreFlags) {
  PickleLimits tight;
  tight.max_values = 10;
  auto e = error_of([&] { read("seed-dtypes.pkl", tight); });
  EXPECT_NE(e.find("more than 10 values"), std::string::npos) << e;
  tight = {};
  tight.max_depth = 1;
  e = error_of([&] { read("seed-prismatic.pkl", tight); });
  EXPECT_NE(e.find("nested deeper than 1"), std::string::npos) << e;
  tight = {};
  tight.max_dims = 1;
  e = error_of([&] { read("seed-linear.pkl", tight); });
  EXPECT_NE(e.find("more than 1 dimensions"), std::string::npos) << e;
}

TEST(TorchSavePickle, MalformedBytesSayWhere) {
  auto e = error_of([] { read_state_dict_pickle(std::string("\x80\x02}X\xff\xff\xff\x7f", 8), "x.pt"); });
  EXPECT_NE(e.find("'x.pt': cannot read the checkpoint's pickle at byte"), std::string::npos) << e;
  EXPECT_NE(e.find("unexpected end"), std::string::npos) << e;
  e = error_of([] { read_state_dict_pickle(std::string("\x80\x02]."), "x.pt"); });
  EXPECT_NE(e.find("does not hold a dict"), std::string::npos) << e;
  e = error_of([] { read_state_dict_pickle(std::string("\x80\x02(s."), "x.pt"); });
  EXPECT_NE(e.find("stack underflow"), std::string::npos) << e;
  e = error_of([] { read_state_dict_pickle(std::string("\x80\x02\x01"), "x.pt"); });
  EXPECT_NE(e.find("unsupported pickle opcode 0x01"), std::string::npos) << e;
}

}  // namespace
