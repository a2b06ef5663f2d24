// Helpers shared by the pack tests: the Qwen2 tokenizer, temporary folders, and small raw
// image-caption shards to pack.
#pragma once

#include <fmt/format.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "oqvl/core/random.h"
#include "oqvl/data/image/image_encode.h"
#include "oqvl/data/io/tar_writer.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "test_util.h"

namespace oqvl::data::pack_test {

inline const Tokenizer& tokenizer() {
  static const Tokenizer t = load_qwen2vl_tokenizer(std::filesystem::path(OQVL_SOURCE_DIR) /
                                                    "assets/qwen2-tokenizer/tokenizer.json");
  return t;
}

using oqvl::test::TempDir;

inline std::string jpeg(int w, int h, std::uint8_t shade) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(w) * h * 3, shade);
  return encode_jpeg(px, w, h, 3, 90);
}

// A shard of `n` caption samples with captions of varying length; `bad` adds one sample of
// each kind the packer drops.
inline std::string write_shard(const std::filesystem::path& path, int n, std::uint64_t seed, bool bad) {
  ShardWriterOptions options;
  options.max_samples = 0;
  std::string pattern = path.string();
  pattern.replace(pattern.size() - 4, 4, "%d.tar");
  ShardWriter writer(pattern, options);
  SplitMix64 rng(seed);
  static const char* kWords[] = {"a",    "red",     "shirt", "on", "white", "background", "with",
                                 "long", "sleeves", "photo", "of", "dress", "2024"};
  for (int i = 0; i < n; ++i) {
    Sample s;
    s.key = fmt::format("{:06d}", i);
    std::string caption;
    int words = 1 + static_cast<int>(rng.below(40));
    if (rng.below(20) == 0) words += 200;
    for (int w = 0; w < words; ++w) caption += std::string(w ? " " : "") + kWords[rng.below(13)];
    s.add("jpg", jpeg(8, 6, static_cast<std::uint8_t>(i)));
    s.add("txt", caption);
    s.add("json", fmt::format("{{\"uid\": \"{}\"}}", i));
    writer.write(s);
  }
  if (bad) {
    Sample one_px;
    one_px.key = "bad_1px";
    one_px.add("jpg", jpeg(1, 5, 1));
    one_px.add("txt", "thin");
    writer.write(one_px);
    Sample broken;
    broken.key = "bad_jpeg";
    broken.add("jpg", "not a jpeg at all");
    broken.add("txt", "broken");
    writer.write(broken);
    Sample no_caption;
    no_caption.key = "bad_nocap";
    no_caption.add("jpg", jpeg(4, 4, 2));
    writer.write(no_caption);
    Sample no_image;
    no_image.key = "bad_noimg";
    no_image.add("txt", "no image");
    writer.write(no_image);
  }
  std::string written = writer.close().shards.at(0).path;
  std::filesystem::rename(written, path);
  return path.string();
}

}  // namespace oqvl::data::pack_test
