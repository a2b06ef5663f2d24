// The embedded default data set: Debian's Fashion-MNIST turned into WebDataset shards of real
// product photos (JPEG) with templated captions and img2dataset-style json metadata, plus a
// held-out test split and a visual-SFT conversation file for the train split (demo_sft.h). The
// quick start and the demo training run on it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "oqvl/data/demo/fashion_mnist.h"

namespace oqvl::data {

struct DemoOptions {
  std::filesystem::path out;  // gets train/, test/, sft/train.jsonl and demo.json
  std::filesystem::path source = kFashionMnistDir;
  std::uint64_t train_samples = 0;   // 0 = the whole split (60,000)
  std::uint64_t test_samples = 0;    // 0 = the whole split (10,000)
  std::uint64_t shard_size = 10000;  // samples per shard
  std::uint64_t seed = 7;            // caption choice and uids
  int jpeg_quality = 95;
  int threads = 0;  // 0 = all hardware threads
};

struct DemoSplitSummary {
  std::string name;
  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> shards;       // relative to DemoOptions::out ("train/00000.tar")
  std::vector<std::uint64_t> per_class;  // sample count by label
};

struct DemoSummary {
  std::vector<DemoSplitSummary> splits;
  std::string sft;      // the SFT conversations, relative to DemoOptions::out (kDemoSftFile)
  bool reused = false;  // the folder already held this exact data set
};

// The key of sample `index` of a split ("000000042").
std::string demo_sample_key(std::uint64_t index);

// Builds (or, when `out` already holds the same data set, reuses) the demo data set.
// Shards are written atomically; demo.json is written last and marks the set complete.
DemoSummary make_demo_dataset(const DemoOptions& options);

}  // namespace oqvl::data
