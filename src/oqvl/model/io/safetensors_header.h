// The untrusted half of the safetensors format, without libtorch: the 8-byte header length, the
// JSON header and a sharded checkpoint's model.safetensors.index.json, parsed and checked in full
// before any tensor is touched. Torch-free so that tests/fuzz/ runs it under ASan+UBSan
// (safetensors.h builds tensors on top of it).
//
// Checked (oqvl::Error naming the file, and the tensor where there is one): the header length
// fits the file and the safetensors-header-bytes input limit; the header is a JSON object; each entry has a
// supported dtype, a shape of non-negative dimensions whose byte count does not overflow 64 bits,
// and data_offsets [begin, end) of exactly that many bytes inside the data section; entries do
// not overlap; __metadata__ maps strings to strings. So a header claiming terabytes is refused
// before anything is allocated for it.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oqvl::model {

// The header is JSON text: one of more than input_limits().safetensors_header_bytes (100 MiB
// unless `oqvl --limit safetensors-header-bytes=N`) is refused; a 1.5B model's is ~40 KB.

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;  // byte offsets into the data section
  std::uint64_t end = 0;
};

struct SafetensorsHeader {
  std::uint64_t data_start = 0;           // byte offset of the data section in the file
  std::vector<SafetensorsEntry> entries;  // in header order
  std::map<std::string, std::string> metadata;
};

// Bytes per element of a safetensors dtype name, 0 for a dtype oqvl does not read.
std::size_t safetensors_element_size(std::string_view dtype);

// Parses the header of a whole safetensors file (`file`: all its bytes, usually a memory map);
// `where` names it in errors.
SafetensorsHeader parse_safetensors_header(std::span<const std::uint8_t> file, std::string_view where);

// The weight_map of a model.safetensors.index.json: tensor names by shard file name, as written.
// Refuses text that is not a JSON object with a weight_map object of strings, and shard names
// that are absolute or climb out of the index's folder ("..").
std::map<std::string, std::vector<std::string>> parse_safetensors_index(std::string_view text,
                                                                        std::string_view where);

}  // namespace oqvl::model
