#include "oqvl/model/io/safetensors_header.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "oqvl/core/error.h"

namespace {
using oqvl::model::parse_safetensors_header;
using oqvl::model::parse_safetensors_index;

// A whole file: the 8-byte length, `header`, then `data_bytes` zero bytes.
std::string file_of(const std::string& header, std::size_t data_bytes) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>(static_cast<std::uint64_t>(header.size()) >> (8 * i));
  return out + header + std::string(data_bytes, '\0');
}

std::string error_of(const std::string& file) {
  try {
    parse_safetensors_header({reinterpret_cast<const std::uint8_t*>(file.data()), file.size()},
                             "x.safetensors");
  } catch (const oqvl::Error& e) {
    return e.what();
  }
  return "";
}

TEST(SafetensorsHeader, ParsesEntriesAndMetadata) {
  std::string f = file_of(R"({"__metadata__": {"format": "pt"}, "w": {"dtype": "BF16", "shape": [2, 3],)"
                          R"( "data_offsets": [0, 12]}})",
                          12);
  auto h = parse_safetensors_header({reinterpret_cast<const std::uint8_t*>(f.data()), f.size()}, "x");
  ASSERT_EQ(h.entries.size(), 1u);
  EXPECT_EQ(h.entries[0].shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(h.metadata.at("format"), "pt");
  EXPECT_EQ(h.data_start, f.size() - 12);
}

// A shape whose byte count wraps around 2^64 to 0 used to pass with data_offsets [0, 0] and then
// ask torch for a tensor of 2^64 elements.
TEST(SafetensorsHeader, RefusesShapesWhoseSizeOverflows) {
  std::string e = error_of(
      file_of(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})", 0));
  EXPECT_NE(e.find("more than 2^64 bytes"), std::string::npos) << e;
}

TEST(SafetensorsHeader, RefusesTerabyteTensorsInASmallFile) {
  std::string e = error_of(file_of(
      R"({"w": {"dtype": "F32", "shape": [262144, 1048576], "data_offsets": [0, 1099511627776]}})", 16));
  EXPECT_NE(e.find("ends at byte 1099511627776 of a 16-byte data section"), std::string::npos) << e;
}

TEST(SafetensorsHeader, RefusesHugeHeaderLengths) {
  std::string f(8, '\xff');
  f += "{}";
  EXPECT_NE(error_of(f).find("not a safetensors file (header length"), std::string::npos);
}

TEST(SafetensorsHeader, RefusesNonIntegerShapesAndOffsets) {
  EXPECT_NE(error_of(file_of(R"({"w": {"dtype": "U8", "shape": [1.5], "data_offsets": [0, 1]}})", 1))
                .find("malformed header entry"),
            std::string::npos);
  EXPECT_NE(error_of(file_of(R"({"w": {"dtype": "U8", "shape": [1], "data_offsets": [-1, 0]}})", 1))
                .find("malformed header entry"),
            std::string::npos);
  EXPECT_NE(
      error_of(
          file_of(R"({"w": {"dtype": "U8", "shape": [18446744073709551615], "data_offsets": [0, 1]}})", 1))
          .find("malformed header entry"),
      std::string::npos);
}

TEST(SafetensorsIndex, RefusesShardNamesOutsideTheFolder) {
  EXPECT_EQ(
      parse_safetensors_index(R"({"weight_map": {"a": "m-1.safetensors", "b": "m-1.safetensors"}})", "i")
          .at("m-1.safetensors")
          .size(),
      2u);
  EXPECT_THROW(parse_safetensors_index(R"({"weight_map": {"a": "../m.safetensors"}})", "i"), oqvl::Error);
  EXPECT_THROW(parse_safetensors_index(R"({"weight_map": {"a": "/etc/m.safetensors"}})", "i"), oqvl::Error);
  EXPECT_THROW(parse_safetensors_index(R"([1, 2])", "i"), oqvl::Error);
  EXPECT_THROW(parse_safetensors_index(R"({"weight_map": {"a": 3}})", "i"), oqvl::Error);
}

}  // namespace
