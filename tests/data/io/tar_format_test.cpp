// Tar header fields: numbers (octal, base-256), pax records, ustar name splitting, and the
// header writer's checksum as the reader checks it.
#include "oqvl/data/io/tar_format.h"

#include <gtest/gtest.h>

#include <cstring>

namespace oqvl::data::tar {
namespace {

std::optional<std::uint64_t> number(const std::string& s) {
  std::string field = s;
  field.resize(12, '\0');
  return parse_number(reinterpret_cast<const unsigned char*>(field.data()), 12);
}

TEST(TarFormat, Numbers) {
  EXPECT_EQ(number("00000000017"), 15u);
  EXPECT_EQ(number("  17 "), 15u);  // old tars pad with spaces
  EXPECT_EQ(number(""), 0u);
  EXPECT_FALSE(number("0000000008").has_value());
  EXPECT_FALSE(number("12x").has_value());
  std::string b256(12, '\0');
  b256[0] = static_cast<char>(0x80);
  b256[10] = 1;
  b256[11] = 2;
  EXPECT_EQ(number(b256), 258u);
  b256[0] = static_cast<char>(0xff);  // negative
  EXPECT_FALSE(number(b256).has_value());
}

TEST(TarFormat, PaxRecords) {
  EXPECT_EQ(pax_record("path", "a.txt"), "14 path=a.txt\n");
  // The length counts its own digits: 9 bytes + 1 digit = 10, which has 2 digits, so 11.
  std::string r = pax_record("k", "12345");
  EXPECT_EQ(r, "11 k=12345\n");
  EXPECT_EQ(r.size(), 11u);
  std::optional<std::string> path;
  std::optional<std::uint64_t> size;
  ASSERT_TRUE(parse_pax(pax_record("mtime", "1.5") + pax_record("path", "x/y.jpg") +
                            pax_record("size", "123") + std::string(7, '\0'),
                        path, size));
  EXPECT_EQ(path, "x/y.jpg");
  EXPECT_EQ(size, 123u);
  EXPECT_FALSE(parse_pax("99 path=x\n", path, size));
  EXPECT_FALSE(parse_pax("10 pathx\n\n", path, size));
  EXPECT_FALSE(parse_pax(pax_record("size", "-1"), path, size));
}

TEST(TarFormat, UstarNameSplit) {
  std::string prefix, name;
  ASSERT_TRUE(split_ustar_name("short.txt", prefix, name));
  EXPECT_EQ(prefix, "");
  std::string long_path = std::string(120, 'd') + "/" + std::string(50, 'n') + ".txt";
  ASSERT_TRUE(split_ustar_name(long_path, prefix, name));
  EXPECT_EQ(prefix + "/" + name, long_path);
  EXPECT_LE(name.size(), 100u);
  EXPECT_FALSE(split_ustar_name(std::string(150, 'x'), prefix, name));  // no '/' to split at
  EXPECT_FALSE(split_ustar_name(std::string(200, 'd') + "/a.txt", prefix, name));
}

TEST(TarFormat, WrittenHeadersParseBack) {
  unsigned char block[kBlock];
  std::string path = std::string(120, 'd') + "/file.jpg";
  format_header(block, path, 12345);
  Header h;
  ASSERT_EQ(parse_header(block, h), HeaderStatus::kOk);
  EXPECT_EQ(h.name, path);
  EXPECT_EQ(h.size, 12345u);
  EXPECT_EQ(h.type, kRegular);
  block[0] ^= 1;
  EXPECT_EQ(parse_header(block, h), HeaderStatus::kBadChecksum);
  std::memset(block, 0, kBlock);
  EXPECT_EQ(parse_header(block, h), HeaderStatus::kZeroBlock);
  EXPECT_EQ(padded(0), 0u);
  EXPECT_EQ(padded(1), 512u);
  EXPECT_EQ(padded(512), 512u);
}

}  // namespace
}  // namespace oqvl::data::tar
