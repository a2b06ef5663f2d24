// The visual-SFT sample files the reference trains on (docs/sft.md), read one sample at a time:
//   - a LLaVA JSON array (`llava_v1_5_mix665k.json`): [sample, sample, ...];
//   - JSON Lines (`.jsonl`): one sample per line, blank lines ignored;
//   - the MAmmoTH-VL index layout (`mammoth_si_10M_simple.jsonl`): a JSON Lines index of
//     {"path": ..., "length": ...} rows, each path a one-sample JSON file relative to the index's
//     folder, or to its `instruction_si_split/` sub-folder as the reference's split script writes
//     them. A `.jsonl` whose first row has "path" and no "conversations" is an index.
// Samples are parsed on demand from a memory-mapped file (the index's sample files are opened on
// demand): only a pair of offsets per sample stays in memory, so a 10M-sample index costs 160 MB
// and never the 200+ GB the parsed JSON would.
//
// Errors (oqvl::Error): at opening, a missing or unreadable file, an extension other than .json
// and .jsonl, a .json that is not an array; per sample (at()), bad JSON or a malformed sample
// (conversation.h), named by file and line (and element index for arrays; index row and sample
// file for indexes). Thread-safe: at() may be called from several threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "oqvl/core/files.h"
#include "oqvl/data/sft/conversation.h"

namespace oqvl::data {

enum class ConversationLayout { kJsonArray, kJsonLines, kIndex };

class ConversationFile {
 public:
  explicit ConversationFile(const std::filesystem::path& file);

  std::size_t size() const { return spans_.size(); }
  // Sample `i` (< size()); its id defaults to the index row's path (index layout) or "#i".
  Conversation at(std::size_t i) const;
  // "FILE line N" (JSON Lines), "FILE element I (line N)" (array), "SAMPLE_FILE (FILE line N)"
  // (index; the sample file as the row names it) for messages about sample `i`.
  std::string where(std::size_t i) const;

  ConversationLayout layout() const { return layout_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::size_t line_of(std::uint64_t offset) const;
  std::filesystem::path sample_file(std::size_t i, std::string& row_path) const;

  std::filesystem::path path_;
  ConversationLayout layout_ = ConversationLayout::kJsonLines;
  std::unique_ptr<MappedFile> file_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans_;  // [begin, end) of each sample's JSON
};

}  // namespace oqvl::data
