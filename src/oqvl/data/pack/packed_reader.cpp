#include "oqvl/data/pack/packed_reader.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <limits>

#include "oqvl/core/error.h"
#include "oqvl/data/pack/pack.h"

namespace oqvl::data {

namespace {

// Typed reads of the sequence json; every error names the sequence and the key.
struct SequenceJson {
  const nlohmann::json& j;
  const std::string& where;

  [[noreturn]] void bad(std::string_view key, std::string_view what) const {
    fail("packed sequence {}: json '{}' {}", where, key, what);
  }
  const nlohmann::json& at(const char* key) const {
    auto it = j.find(key);
    if (it == j.end()) bad(key, "is missing");
    return *it;
  }
  std::uint64_t count(const char* key, std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) const {
    const auto& v = at(key);
    // Checked before get<>: nlohmann would wrap a negative integer into a huge unsigned.
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > max) {
      bad(key, fmt::format("must be an integer in 0..{}, got {}", max, v.dump()));
    }
    return v.get<std::uint64_t>();
  }
  std::vector<std::uint32_t> u32_list(const char* key) const {
    const auto& v = at(key);
    if (!v.is_array()) bad(key, fmt::format("must be a list, got {}", v.type_name()));
    std::vector<std::uint32_t> out;
    out.reserve(v.size());
    for (const auto& x : v) {
      if (!x.is_number_unsigned() || x.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
        bad(key, fmt::format("must hold integers in 0..2^32-1, has {}", x.dump()));
      }
      out.push_back(x.get<std::uint32_t>());
    }
    return out;
  }
  std::vector<std::string> string_list(const char* key) const {
    const auto& v = at(key);
    if (!v.is_array()) bad(key, fmt::format("must be a list, got {}", v.type_name()));
    std::vector<std::string> out;
    out.reserve(v.size());
    for (const auto& x : v) {
      if (!x.is_string()) bad(key, fmt::format("must hold strings, has {}", x.dump()));
      out.push_back(x.get<std::string>());
    }
    return out;
  }
};

// "3.jpg" -> (3, "jpg"); nullopt for fields that are not images ("json", "ids.u32").
std::optional<std::pair<std::size_t, std::string>> image_field(const std::string& ext) {
  std::size_t dot = ext.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == ext.size()) return std::nullopt;
  std::size_t index = 0;
  auto [end, ec] = std::from_chars(ext.data(), ext.data() + dot, index);
  if (ec != std::errc{} || end != ext.data() + dot) return std::nullopt;
  return std::pair{index, ext.substr(dot + 1)};
}

}  // namespace

PackedSequence parse_packed_sequence(Sample&& sample) {
  const std::string where = sample.where();
  PackedSequence seq;
  seq.key = sample.key;
  seq.shard = sample.shard;
  seq.offset = sample.offset;

  const Field* json_field = sample.find("json");
  const Field* ids_field = sample.find("ids.u32");
  if (json_field == nullptr || ids_field == nullptr) {
    fail("packed sequence {}: no {} member (is this a shard written by `oqvl data pack`?)", where,
         json_field == nullptr ? "json" : "ids.u32");
  }
  nlohmann::json j = nlohmann::json::parse(json_field->bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) fail("packed sequence {}: its json is not a JSON object", where);
  SequenceJson meta{j, where};

  // Before anything else: a newer layout may have other keys, so say "version" rather than
  // complaining about one of them.
  seq.version = kPackedFormatVersion;
  if (j.contains("version")) {
    const auto& v = j["version"];
    if (!v.is_number_integer() || (v.get<std::int64_t>() != kPackedFormatVersion &&
                                   v.get<std::int64_t>() != kPackedMultiImageFormatVersion)) {
      fail("packed sequence {}: format version {} is not one this oqvl reads ({} or {}): pack the data "
           "again with this oqvl, or read it with the oqvl that packed it",
           where, v.dump(), kPackedFormatVersion, kPackedMultiImageFormatVersion);
    }
    seq.version = static_cast<int>(v.get<std::int64_t>());
  }

  seq.keys = meta.string_list("keys");
  seq.shards = meta.u32_list("shards");
  seq.lengths = meta.u32_list("lengths");
  seq.text_lengths = meta.u32_list("text_lengths");
  seq.truncated = meta.u32_list("truncated");
  seq.length = meta.count("length");
  constexpr std::uint64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();
  seq.context = static_cast<std::uint32_t>(meta.count("context", kMaxU32));
  seq.image_tokens = static_cast<std::uint32_t>(meta.count("image_tokens", kMaxU32));
  seq.image_placeholder_id = static_cast<std::uint32_t>(meta.count("image_placeholder_id", kMaxU32));
  seq.pad_id = static_cast<std::uint32_t>(meta.count("pad_id", kMaxU32));

  const std::size_t n = seq.lengths.size();
  if (n == 0) fail("packed sequence {}: no samples", where);
  seq.sample_images = seq.version == kPackedMultiImageFormatVersion ? meta.u32_list("images")
                                                                    : std::vector<std::uint32_t>(n, 1);
  if (seq.keys.size() != n || seq.shards.size() != n || seq.text_lengths.size() != n ||
      seq.sample_images.size() != n) {
    fail("packed sequence {}: {} lengths but {} keys, {} shards, {} text_lengths, {} images (one each per "
         "sample)",
         where, n, seq.keys.size(), seq.shards.size(), seq.text_lengths.size(), seq.sample_images.size());
  }
  if (seq.image_tokens == 0) fail("packed sequence {}: image_tokens is 0", where);

  // Boundaries, and the lengths adding up.
  std::uint64_t text_total = 0, total = 0;
  seq.text_offsets.resize(n);
  seq.offsets.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    seq.text_offsets[i] = text_total;
    seq.offsets[i] = total;
    text_total += seq.text_lengths[i];
    total += seq.lengths[i];
    const std::uint64_t want = std::uint64_t{seq.text_lengths[i]} +
                               std::uint64_t{seq.sample_images[i]} * (seq.image_tokens - 1);
    if (want != seq.lengths[i]) {
      fail("packed sequence {}: sample {} ('{}') has length {}, but its {} ids with {} image{} of "
           "{} tokens make {}",
           where, i, seq.keys[i], seq.lengths[i], seq.text_lengths[i], seq.sample_images[i],
           seq.sample_images[i] == 1 ? "" : "s", seq.image_tokens, want);
    }
  }
  if (total != seq.length)
    fail("packed sequence {}: length is {}, the lengths add up to {}", where, seq.length, total);
  if (seq.length > seq.context)
    fail("packed sequence {}: length {} is over the context {}", where, seq.length, seq.context);
  for (std::uint32_t t : seq.truncated) {
    if (t >= n) fail("packed sequence {}: truncated names sample {}, it has {}", where, t, n);
  }

  const std::string& id_bytes = ids_field->bytes;
  if (id_bytes.size() % 4 != 0) {
    fail("packed sequence {}: ids.u32 has {} bytes, not a whole number of uint32", where, id_bytes.size());
  }
  if (id_bytes.size() / 4 != text_total) {
    fail("packed sequence {}: ids.u32 holds {} ids, text_lengths add up to {}", where, id_bytes.size() / 4,
         text_total);
  }
  static_assert(std::endian::native == std::endian::little, "ids.u32 is little-endian");
  seq.ids.resize(text_total);
  std::memcpy(seq.ids.data(), id_bytes.data(), id_bytes.size());
  std::size_t total_images = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto ids = seq.sample_ids(i);
    auto placeholders = static_cast<std::size_t>(
        std::count(ids.begin(), ids.end(), seq.image_placeholder_id));
    if (placeholders != seq.sample_images[i]) {
      fail("packed sequence {}: sample {} ('{}') has {} image placeholders, expected {}", where, i,
           seq.keys[i], placeholders, seq.sample_images[i]);
    }
    total_images += placeholders;
  }

  // Images "{i}.{ext}", one per placeholder, in placeholder order.
  const std::size_t n_images = total_images;
  seq.images.resize(n_images);
  std::vector<bool> seen(n_images, false);
  std::size_t images = 0;
  for (Field& f : sample.fields) {
    auto image = image_field(f.ext);
    if (!image) continue;
    auto [index, ext] = *image;
    if (index >= n_images) {
      fail("packed sequence {}: image member '{}' but only {} image placeholders", where, f.ext, n_images);
    }
    if (seen[index]) fail("packed sequence {}: two images numbered {}", where, index);
    seen[index] = true;
    seq.images[index] = PackedImage{std::move(ext), std::move(f.bytes)};
    ++images;
  }
  if (images != n_images) {
    std::size_t missing = static_cast<std::size_t>(std::find(seen.begin(), seen.end(), false) - seen.begin());
    fail("packed sequence {}: {} image placeholders but {} images (none numbered {})", where, n_images,
         images, missing);
  }
  return seq;
}

PackedShardReader::PackedShardReader(const std::filesystem::path& shard, TarReaderOptions options)
    : reader_(shard, options) {}

std::optional<PackedSequence> PackedShardReader::next() {
  auto sample = reader_.next();
  if (!sample) return std::nullopt;
  return parse_packed_sequence(std::move(*sample));
}

}  // namespace oqvl::data
