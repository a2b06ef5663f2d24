// Multimodal sequence packing (docs/recipe.md §3, paper Algorithm 1): every image-caption sample
// becomes `<s> IMG \n caption <|im_end|>` (or, with `interleaved`, every interleaved document
// becomes one sample with several images: interleaved.h), and the samples of a window of input
// shards are packed into sequences of `context` multimodal positions by first-fit-decreasing.
//
// Differences from the Python reference, on purpose (docs/formats.md "Packed shards"):
// - the image placeholder is kPackedImagePlaceholder = uint32(-200): the reference's -200 in the
//   uint32 ids file (read as int32 it is -200 again), an id no vocabulary has;
// - ids are stored unpadded with explicit per-sample lengths; the trainer pads and masks;
// - a sample longer than the context has its caption tokens truncated (<|im_end|> kept) and is
//   counted, where the reference would make an overfull bin.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oqvl/core/bad_input.h"
#include "oqvl/data/io/sample.h"
#include "oqvl/data/io/shard_job.h"
#include "oqvl/data/pack/packed_reader.h"
#include "oqvl/data/text/special_tokens.h"
#include "oqvl/data/text/tokenizer.h"

namespace oqvl::data {

// kImagePlaceholderId (-200) as the uint32 the packed ids file stores (0xFFFFFF38).
inline constexpr std::uint32_t kPackedImagePlaceholder = static_cast<std::uint32_t>(kImagePlaceholderId);

// The `version` in each packed sequence's json (packed_reader.h reads both); raise it when the
// layout of a packed sample changes. Version 1: one image per sample (caption packs, whose bytes
// stay as they were); version 2 adds `images`, each sample's number of images (interleaved packs).
inline constexpr int kPackedFormatVersion = 1;
inline constexpr int kPackedMultiImageFormatVersion = 2;

enum class PackImageStore { kOriginal, kResized };

struct PackOptions {
  std::uint32_t context = 4096;      // multimodal positions per packed sequence
  std::uint32_t image_tokens = 144;  // visual tokens per image (144 pre-training, 729 SFT)
  int window = 1;                    // input shards packed together (the paper: 1)
  PackImageStore store = PackImageStore::kOriginal;
  int resized_side = 384;  // --store resized: images become side x side JPEGs
  int jpeg_quality = 95;
  bool decode_check = false;     // fully decode every image (drop undecodable ones)
  bool skip_bad_shards = false;  // count a corrupt shard's rest instead of failing
  bool interleaved = false;      // inputs are interleaved documents (interleaved.h), version 2 out
  int threads = 0;
  ShardJob job;
  // Identifies the tokenizer (the CLI: file_fingerprint of tokenizer.json), so a rerun with
  // another one is refused; recorded like the other options.
  std::string tokenizer_fingerprint;
};

// One sample ready to pack: its text ids (one placeholder per image) and its length.
struct PackItem {
  std::string key;
  std::vector<std::uint32_t> ids;
  std::uint32_t length = 0;  // ids.size() + images.size() * (image_tokens - 1)
  bool truncated = false;
  std::uint32_t shard = 0;          // index of its input shard within the window
  std::vector<PackedImage> images;  // as stored, in placeholder order (one for a caption)
};

// The packed format version `options` write (kPackedMultiImageFormatVersion when interleaved).
int pack_format_version(const PackOptions& options);

// An input image as the packed shard stores it (--store: the original bytes, or resized), or
// nullopt with `dropped` set to why it cannot be packed ("undecodable image", "image side of
// 1 px": the reference drops those). `ext` is the input's extension, or "" to name the format
// from the bytes.
std::optional<PackedImage> store_pack_image(std::string bytes, std::string ext, const PackOptions& options,
                                            std::string& dropped);

// The text ids of one caption sample: [<s>, IMG, tok("\n" + caption)..., <|im_end|>], with the
// reference's quirks (caption "<image>" -> "<image-placeholder>"; <|im_end|> appended only when
// the last id is not already <|im_end|>), truncated to fit `options.context` if needed.
PackItem make_pack_item(const Tokenizer& tokenizer, std::string key, std::string_view caption,
                        const PackOptions& options);

// Per-sequence fill histogram buckets: [0, 5%), [5%, 10%), ... [95%, 100%].
inline constexpr int kFillBuckets = 20;

// Counts of one window or of a whole run (they add up).
struct PackStats {
  std::uint64_t windows = 0;
  std::uint64_t input_samples = 0;
  std::uint64_t packed_samples = 0;
  std::uint64_t sequences = 0;
  std::uint64_t tokens = 0;  // sum of multimodal lengths = non-pad positions
  std::uint64_t images = 0;
  std::uint64_t truncated = 0;
  std::uint32_t context = 0;
  std::map<std::string, std::uint64_t> dropped;  // by reason
  std::vector<std::uint64_t> fill_histogram = std::vector<std::uint64_t>(kFillBuckets, 0);

  void merge(const PackStats& other);
  double fill() const;  // tokens / (sequences * context)
  nlohmann::json to_json() const;
  static PackStats from_json(const nlohmann::json& j);
};

// A packed sequence as written: key and the sample members.
Sample packed_sequence_sample(const std::string& key, const std::vector<const PackItem*>& items,
                              const PackOptions& options);

// Packs one window of items (in input order) and returns the packed samples (sequence keys
// `{stem}_{index:06d}`) and adds to `stats`.
std::vector<Sample> pack_window(const std::string& stem, const std::vector<PackItem>& items,
                                const PackOptions& options, PackStats& stats);

struct PackRunResult {
  PackStats stats;                    // all windows of this job, resumed ones included
  std::uint64_t windows_skipped = 0;  // already complete from an earlier run
  std::filesystem::path summary_path;
};

// Packs options.job's share (select_job_shards) of `shards`, the inputs of ALL jobs (output
// names are chosen over all of them, so jobs never collide), into `out`: one `{stem}.tar` +
// `{stem}.stats.json` per window of options.window shards (stem: pack_output_stems of the
// window's first shard), then `pack-{job tag}.summary.json` (job_summary_path).
//
// Resuming (pack_outputs.h): complete windows are skipped (their counts read back); a rerun
// that differs in an option (pack_fingerprint), or whose complete window had other inputs
// (another input list, --window or --num-shards) or inputs of another size, throws
// oqvl::Error naming the difference before anything is written, instead of mixing old and new
// windows. A window's samples are held in memory until it is written (FFD needs every length
// first).
PackRunResult pack_shards(const std::vector<std::string>& shards, const std::filesystem::path& out,
                          const Tokenizer& tokenizer, const PackOptions& options);

}  // namespace oqvl::data
