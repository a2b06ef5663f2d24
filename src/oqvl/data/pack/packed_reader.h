// Reading packed shards back: one WebDataset sample that `oqvl data pack` wrote (pack.h,
// docs/formats.md "Packed shards") becomes a PackedSequence, checked on the way, for the
// trainer's loader. Torch-free: the loader turns it into tensors.
//
// Checked (any failure is an oqvl::Error naming shard, byte offset and sequence key):
// - the json parses and has every key with the right type; its `version` is one this reader
//   knows: 1 (absent = 1: shards packed before the key was written have the same layout), one
//   image per sample; 2 (interleaved documents), `images` gives each sample's number of images;
// - keys, shards, lengths, text_lengths (and images) have one entry per sample, at least one;
// - ids.u32 holds sum(text_lengths) ids; sample j's ids hold exactly images[j] image
//   placeholders (1 in version 1), and there are as many `{i}.{ext}` images as placeholders in
//   all, numbered 0..n-1 in placeholder order;
// - lengths[j] = text_lengths[j] + images[j] * (image_tokens - 1), length = sum(lengths) <= context;
// - truncated indices name samples.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "oqvl/data/io/sample.h"
#include "oqvl/data/io/tar_reader.h"

namespace oqvl::data {

struct PackedImage {
  std::string ext;    // "jpg", "png", ... (the member is "{key}.{i}.{ext}")
  std::string bytes;  // encoded image, as stored
};

// One packed sequence: the samples of one bin, in placement order.
struct PackedSequence {
  std::string key;           // "{stem}_{bin:06d}"
  std::string shard;         // where it was read (empty when parsed from memory)
  std::uint64_t offset = 0;  // its byte offset there (TarReader::start_at resumes at it)
  int version = 0;           // format version of its json

  std::vector<std::uint32_t> ids;      // all samples' text ids, unpadded; placeholder = image_placeholder_id
  std::vector<std::string> keys;       // source sample keys
  std::vector<std::uint32_t> shards;   // each sample's input shard: index into the window's inputs
  std::vector<std::uint32_t> lengths;  // multimodal length of each sample
  std::vector<std::uint32_t> text_lengths;  // ids of each sample
  std::vector<std::uint64_t> text_offsets;  // where sample j's ids start in `ids` (derived)
  std::vector<std::uint64_t> offsets;       // where sample j starts in the multimodal row (derived)
  std::uint64_t length = 0;                 // sum(lengths): non-pad positions
  std::uint32_t context = 0;                // row length the trainer pads to
  std::uint32_t image_tokens = 0;           // visual positions one placeholder becomes
  std::uint32_t image_placeholder_id = 0;
  std::uint32_t pad_id = 0;
  std::vector<std::uint32_t> truncated;      // samples whose text was cut
  std::vector<std::uint32_t> sample_images;  // images of each sample (all 1 in version 1)
  std::vector<PackedImage> images;           // all images, in placeholder order

  std::size_t samples() const { return lengths.size(); }
  // Sample j's ids: [<s>, placeholder, caption..., <|im_end|>] (a caption), or an interleaved
  // document's ids with sample_images[j] placeholders.
  std::span<const std::uint32_t> sample_ids(std::size_t j) const {
    return std::span<const std::uint32_t>(ids).subspan(text_offsets.at(j), text_lengths.at(j));
  }
};

// The packed sequence in `sample` (its fields are moved out). Throws oqvl::Error (see top).
PackedSequence parse_packed_sequence(Sample&& sample);

// The packed sequences of one packed shard, in order. Not thread-safe: one reader per thread.
class PackedShardReader {
 public:
  // Corrupt tar data: BadShardError (or, with options.on_bad = kSkip, the rest of the shard is
  // counted and skipped). A sample that is not a valid packed sequence is always an Error.
  explicit PackedShardReader(const std::filesystem::path& shard, TarReaderOptions options = {});

  // The next sequence, or nullopt at the end of the shard.
  std::optional<PackedSequence> next();
  // Resumes at a sequence's `offset` (see TarReader::start_at for what is refused).
  void start_at(std::uint64_t offset) { reader_.start_at(offset); }

 private:
  TarReader reader_;
};

}  // namespace oqvl::data
