// Where the images of visual-SFT samples come from (docs/sft.md): a folder, the sample's "image"
// being a path relative to it (the reference's layout: LLaVA-665k's data/llava/images/), or
// WebDataset tar shards (a spec as data/io/shard_list.h reads: a file, a glob, a brace range or
// @list), the "image" being a sample key ("000000042", or a path-like key such as
// "coco/train2017/000000033471"; "…/000000033471.jpg" also finds that key). A shard sample's image
// is its first field among jpg, png, jpeg, webp (sample.h kImageExtensions), or the extension the
// "image" names.
//
// For shards, the constructor reads every tar header once (never the data) and keeps a key ->
// (shard, byte offset) map, about 100 bytes a key; read() then jumps to the sample
// (TarReader::start_at). Errors (oqvl::Error): no such folder or shards, a key in two places
// (named with both shards); read(): an image that is missing or unreadable, named. Thread-safe:
// read() opens what it reads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace oqvl::data {

class SftImages {
 public:
  // `images` = "" is `default_folder` (the conversation file's folder).
  SftImages(const std::string& images, const std::filesystem::path& default_folder);

  // The encoded bytes of the image a sample names.
  std::string read(std::string_view image) const;

  bool from_shards() const { return !shards_.empty(); }
  std::size_t shard_keys() const { return index_.size(); }

 private:
  struct Where {
    std::uint32_t shard = 0;
    std::uint64_t offset = 0;
  };
  std::string read_from_shard(std::string_view image) const;

  std::filesystem::path folder_;
  std::vector<std::string> shards_;
  std::unordered_map<std::string, Where> index_;
};

}  // namespace oqvl::data
