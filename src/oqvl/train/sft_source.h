// Visual-SFT rows: LLaVA-format conversations (data/sft/conversation_file.h: JSON, JSONL or the
// MAmmoTH index), each tokenized with a prompt template (data/sft/sft_prompt.h: "qwen2", the
// paper's, or "plain", the inference format), labels on assistant turns only, truncated to
// max_ids ids; images from a folder or tar shards (data/sft/sft_images.h), one per placeholder,
// read when the row is made. Text-only samples give rows without images. Each epoch visits every
// sample once in a seeded permutation of (seed, epoch); the position is (epoch, index into that
// permutation), entry and offset unused.
//
// Errors (oqvl::Error): at construction, an unreadable tokenizer, conversation file or image
// source, an unknown template; in next(), a malformed sample or an unreadable image, named by
// file, line and sample id (image too) -- unless skip_bad, which logs and counts them and goes on
// (all samples bad is still an error). Not thread-safe: the loader's producer thread owns it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "oqvl/train/row_source.h"

namespace oqvl::train {

struct SftSourceOptions {
  std::filesystem::path file;             // .json / .jsonl / index .jsonl
  std::string images;                     // folder or shard spec ("" = the file's folder)
  std::filesystem::path tokenizer;        // tokenizer.json (Qwen2; the Open-Qwen2VL layout is applied)
  std::string prompt_template = "qwen2";  // "qwen2" | "plain"
  std::uint64_t seed = 7;
  std::int64_t max_ids = 4096;   // ids per row before image expansion (0 = all)
  bool strip_quirk = true;       // qwen2: drop the first token after each <image> in turn 0, as the reference
  std::int64_t bos_id = 128245;  // plain: the id put first
  bool skip_bad = false;         // skip malformed samples and unreadable images (logged, counted)
};

std::unique_ptr<RowSource> make_sft_source(const SftSourceOptions& options);

}  // namespace oqvl::train
