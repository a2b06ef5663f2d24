#include "oqvl/data/sft/sft_images.h"

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/log.h"
#include "oqvl/data/io/sample.h"
#include "oqvl/data/io/shard_list.h"
#include "oqvl/data/io/tar_reader.h"

namespace oqvl::data {
namespace fs = std::filesystem;

SftImages::SftImages(const std::string& images, const fs::path& default_folder) {
  if (images.empty() || fs::is_directory(images)) {
    folder_ = images.empty() ? default_folder : fs::path(images);
    if (!fs::is_directory(folder_)) fail("SFT images folder '{}' does not exist", folder_.string());
    return;
  }
  shards_ = expand_shard_specs({images});  // errors name a spec that matches nothing
  for (std::size_t s = 0; s < shards_.size(); ++s) {
    if (shards_[s] == "-") fail("SFT images: shards must be files (not standard input)");
    TarMemberReader members(shards_[s]);
    TarMember m;
    std::string last_key;
    while (members.next(m)) {
      if (is_meta_member(m.name)) continue;
      auto split = split_member_name(m.name);
      if (!split || split->first == last_key) continue;
      last_key = split->first;
      const auto [it, added] = index_.try_emplace(split->first,
                                                  Where{static_cast<std::uint32_t>(s), m.offset});
      if (!added && it->second.shard != s)
        fail("SFT images: key '{}' is in both '{}' and '{}'; keys must name one sample", split->first,
             shards_[it->second.shard], shards_[s]);
    }
  }
  log::info("SFT images: {} keys in {} shards", index_.size(), shards_.size());
}

std::string SftImages::read(std::string_view image) const {
  if (from_shards()) return read_from_shard(image);
  const auto path = folder_ / fs::path(image);
  std::error_code ec;  // a name too long to look up is "not found", not a filesystem_error
  if (!fs::is_regular_file(path, ec)) fail("image '{}' not found in folder '{}'", image, folder_.string());
  try {
    return read_file(path);
  } catch (const Error& e) {
    fail("image '{}': {}", image, e.what());
  }
}

std::string SftImages::read_from_shard(std::string_view image) const {
  auto it = index_.find(std::string(image));
  std::string ext;  // the extension the image names, if it is "key.ext"
  if (it == index_.end()) {
    if (const auto split = split_member_name(image)) {
      it = index_.find(split->first);
      ext = split->second;
    }
  }
  if (it == index_.end()) fail("image '{}' is not a sample key in the SFT image shards", image);
  const auto& shard = shards_[it->second.shard];
  try {
    TarReader reader(shard);
    reader.start_at(it->second.offset);
    const auto sample = reader.next();
    if (!sample) fail("no sample at byte {}", it->second.offset);
    const Field* field = ext.empty() ? sample->find(kImageExtensions) : sample->find(ext);
    if (!field)
      fail("sample '{}' has no {} field", sample->key, ext.empty() ? std::string(kImageExtensions) : ext);
    return field->bytes;
  } catch (const Error& e) {
    fail("image '{}' (shard '{}'): {}", image, shard, e.what());
  }
}

}  // namespace oqvl::data
