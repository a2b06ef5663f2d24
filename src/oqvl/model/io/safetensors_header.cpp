#include "oqvl/model/io/safetensors_header.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "oqvl/core/error.h"
#include "oqvl/core/input_limits.h"

namespace oqvl::model {
using nlohmann::json;

namespace {

std::uint64_t read_le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::size_t safetensors_element_size(std::string_view dtype) {
  static constexpr std::pair<std::string_view, std::size_t> kSizes[] = {
      {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F64", 8}, {"I64", 8},
      {"I32", 4}, {"I16", 2}, {"I8", 1},   {"U8", 1},  {"BOOL", 1},
  };
  for (const auto& [name, size] : kSizes) {
    if (name == dtype) return size;
  }
  return 0;
}

SafetensorsHeader parse_safetensors_header(std::span<const std::uint8_t> bytes, std::string_view where) {
  if (bytes.size() < 8) fail("'{}' is not a safetensors file (shorter than 8 bytes)", where);
  std::uint64_t header_len = read_le64(bytes.data());
  const auto max_header = static_cast<std::uint64_t>(input_limits().safetensors_header_bytes);
  if (header_len > bytes.size() - 8)
    fail("'{}' is not a safetensors file (header length {} for a {}-byte file)", where, header_len,
         bytes.size());
  if (header_len > max_header)
    fail("'{}': safetensors header of {} bytes is above the limit of {} (oqvl --limit "
         "safetensors-header-bytes=N raises it)",
         where, header_len, max_header);
  SafetensorsHeader out;
  out.data_start = 8 + header_len;
  const std::uint64_t data_size = bytes.size() - out.data_start;
  json header;
  try {
    header = json::parse(std::string_view(reinterpret_cast<const char*>(bytes.data()) + 8, header_len));
  } catch (const json::exception& e) {
    fail("'{}': safetensors header is not valid JSON ({})", where, e.what());
  }
  if (!header.is_object()) fail("'{}': safetensors header is not a JSON object", where);

  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) fail("'{}': __metadata__ is not an object", where);
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) fail("'{}': __metadata__ value of '{}' is not a string", where, k);
        out.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    SafetensorsEntry e;
    e.name = name;
    try {
      e.dtype = value.at("dtype").get<std::string>();
      // Integers only: nlohmann would truncate 1.5 to 1 and wrap 2^64 - 1 to -1 silently.
      const json& shape = value.at("shape");
      if (!shape.is_array()) throw std::runtime_error("shape is not an array");
      for (const auto& d : shape) {
        if (!d.is_number_integer()) throw std::runtime_error("shape holds a non-integer");
        if (d.is_number_unsigned() && d.get<std::uint64_t>() > std::uint64_t{INT64_MAX}) {
          throw std::runtime_error("dimension out of range");
        }
        e.shape.push_back(d.get<std::int64_t>());
      }
      const json& offsets = value.at("data_offsets");
      if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
          !offsets[1].is_number_unsigned()) {
        throw std::runtime_error("data_offsets needs 2 non-negative integers");
      }
      e.begin = offsets[0].get<std::uint64_t>();
      e.end = offsets[1].get<std::uint64_t>();
    } catch (const std::exception& ex) {
      fail("'{}': tensor '{}': malformed header entry ({})", where, name, ex.what());
    }
    std::size_t element = safetensors_element_size(e.dtype);
    if (element == 0) fail("'{}': tensor '{}': unsupported dtype '{}'", where, name, e.dtype);
    // Checked products: a forged shape must not wrap around to a small byte count.
    std::uint64_t need = element;
    for (auto d : e.shape) {
      if (d < 0) fail("'{}': tensor '{}': negative dimension", where, name);
      if (__builtin_mul_overflow(need, static_cast<std::uint64_t>(d), &need)) {
        fail("'{}': tensor '{}': shape of more than 2^64 bytes", where, name);
      }
    }
    if (e.end < e.begin || e.end - e.begin != need) {
      fail("'{}': tensor '{}': {} bytes in data_offsets [{}, {}) but shape and {} need {}", where, name,
           e.end - e.begin, e.begin, e.end, e.dtype, need);
    }
    if (e.end > data_size) {
      fail("'{}': tensor '{}' ends at byte {} of a {}-byte data section (truncated file?)", where, name,
           e.end, data_size);
    }
    out.entries.push_back(std::move(e));
  }
  // The reference format packs tensors back to back: overlapping ranges mean a corrupt header.
  std::vector<const SafetensorsEntry*> by_offset;
  for (const auto& e : out.entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->begin < by_offset[i - 1]->end) {
      fail("'{}': tensors '{}' and '{}' overlap", where, by_offset[i - 1]->name, by_offset[i]->name);
    }
  }
  return out;
}

std::map<std::string, std::vector<std::string>> parse_safetensors_index(std::string_view text,
                                                                        std::string_view where) {
  json index;
  try {
    index = json::parse(text);
  } catch (const json::exception& e) {
    fail("'{}' is not valid JSON ({})", where, e.what());
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    fail("'{}' has no weight_map object (not a safetensors index)", where);
  }
  std::map<std::string, std::vector<std::string>> by_shard;
  for (const auto& [name, shard] : index["weight_map"].items()) {
    if (!shard.is_string()) fail("'{}': weight_map entry '{}' is not a file name", where, name);
    const std::string& file = shard.get_ref<const std::string&>();
    std::filesystem::path p(file);
    bool climbs = std::any_of(p.begin(), p.end(), [](const auto& part) { return part == ".."; });
    if (file.empty() || p.is_absolute() || climbs) {
      fail("'{}': weight_map entry '{}' names shard '{}', which is not a file in the index's folder", where,
           name, file);
    }
    by_shard[file].push_back(name);
  }
  return by_shard;
}

}  // namespace oqvl::model
