// Visual-SFT rows: LLaVA-format conversations (data/sft/), each tokenized with the paper's Qwen2
// prompt template, labels on assistant turns only, truncated to max_ids ids; images from a
// folder or tar shards. Each epoch visits the samples in a seeded permutation of (seed, epoch);
// the position is (epoch, index into that permutation).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "oqvl/train/row_source.h"

namespace oqvl::train {

struct SftSourceOptions {
  std::filesystem::path file;  // .json / .jsonl / index .jsonl
  std::string images;          // folder or shard spec ("" = the file's folder)
  std::uint64_t seed = 7;
  std::int64_t max_ids = 4096;
  bool strip_quirk = true;
  std::int64_t bos_id = 128245;
};

std::unique_ptr<RowSource> make_sft_source(const SftSourceOptions& options);

}  // namespace oqvl::train
