// Sample: one WebDataset sample, the unit every stage of the data pipeline hands on.
//
// A WebDataset shard is a tar file whose members are named `{key}.{ext}`; consecutive members
// with the same key form one sample (see split_member_name in tar_reader.h). A raw image-text
// shard (docs/recipe.md §2.1) has samples like `000123.jpg`, `000123.txt`, `000123.json`.
//
// Fields are looked up by extension. Like webdataset's `rename(image="jpg;png;jpeg;webp")`, a
// lookup takes a ';'-separated list of extensions and returns the first field (in list order)
// that the sample has:
//
//   const Field* image = sample.find(kImageExtensions);   // jpg, png, jpeg or webp
//   std::string_view caption = sample.text("txt");         // throws if there is no .txt
//
// Extensions are kept as the tar member names spell them after the first dot of the basename,
// lower-cased by the reader (webdataset does the same), so "0.jpg" is one extension.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace oqvl::data {

// Extension lists for the three field kinds of raw image-text shards (docs/recipe.md §2.1).
inline constexpr std::string_view kImageExtensions = "jpg;png;jpeg;webp";
inline constexpr std::string_view kTextExtensions = "txt";
inline constexpr std::string_view kJsonExtensions = "json";

// One member of a sample: its extension ("jpg", "txt", "0.jpg") and its raw bytes.
struct Field {
  std::string ext;
  std::string bytes;  // raw member bytes; std::string so text fields view as string_view
};

struct Sample {
  std::string key;            // member name up to the first dot of its basename, folder kept
  std::vector<Field> fields;  // in tar order
  std::string shard;          // the shard it came from ("" for samples built in memory)
  std::uint64_t offset = 0;   // byte offset of its first member's header in that shard

  // First field whose extension is in the ';'-separated list `exts` (list order wins), or null.
  const Field* find(std::string_view exts) const;
  // The bytes of find(exts); throws oqvl::Error naming the sample if there is none.
  std::string_view bytes(std::string_view exts) const;
  // Same as bytes(): a text field (caption, json) as a string_view into the sample.
  std::string_view text(std::string_view exts = kTextExtensions) const { return bytes(exts); }
  // Appends a field (used by readers, writers' callers and tests).
  void add(std::string ext, std::string bytes);
  // Sum of the fields' byte sizes.
  std::uint64_t payload_bytes() const;
  // "key (shard @ offset)" for error messages.
  std::string where() const;
};

}  // namespace oqvl::data
