#include "oqvl/data/io/tar_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace oqvl::data::tar {
namespace {

// Field offsets and lengths of the ustar header.
constexpr std::size_t kNameOff = 0, kNameLen = 100;
constexpr std::size_t kModeOff = 100, kUidOff = 108, kGidOff = 116;
constexpr std::size_t kSizeOff = 124, kSizeLen = 12;
constexpr std::size_t kMtimeOff = 136;
constexpr std::size_t kChksumOff = 148, kChksumLen = 8;
constexpr std::size_t kTypeOff = 156;
constexpr std::size_t kMagicOff = 257;
constexpr std::size_t kVersionOff = 263;
constexpr std::size_t kPrefixOff = 345, kPrefixLen = 155;

// A NUL-terminated string field (it may fill the whole field without a NUL).
std::string_view field_string(const unsigned char* block, std::size_t off, std::size_t len) {
  const char* p = reinterpret_cast<const char*>(block + off);
  const void* nul = std::memchr(p, 0, len);
  return {p, nul ? static_cast<std::size_t>(static_cast<const char*>(nul) - p) : len};
}

void put_octal(unsigned char* block, std::size_t off, std::size_t len, std::uint64_t v) {
  // len-1 zero-padded octal digits and a NUL, the way Python's tarfile and GNU tar write them.
  std::string s = fmt::format("{:0{}o}", v, len - 1);
  std::memcpy(block + off, s.data(), len - 1);
  block[off + len - 1] = 0;
}

}  // namespace

std::optional<std::uint64_t> parse_number(const unsigned char* field, std::size_t len) {
  if (field[0] == 0x80 || field[0] == 0xff) {
    // GNU base-256: big-endian two's complement in the remaining bytes; 0xff means negative.
    if (field[0] == 0xff) return std::nullopt;
    std::uint64_t n = 0;
    for (std::size_t i = 1; i < len; ++i) {
      if (n >> 56) return std::nullopt;  // would overflow 64 bits
      n = (n << 8) | field[i];
    }
    return n;
  }
  // Octal, terminated by NUL, surrounded by optional spaces (an all-blank field reads as 0).
  std::string_view s = field_string(field, 0, len);
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  std::uint64_t n = 0;
  for (std::size_t i = b; i < e; ++i) {
    if (s[i] < '0' || s[i] > '7') return std::nullopt;
    if (n >> 61) return std::nullopt;
    n = n * 8 + static_cast<std::uint64_t>(s[i] - '0');
  }
  return n;
}

HeaderStatus parse_header(const unsigned char* block, Header& out) {
  bool all_zero = std::all_of(block, block + kBlock, [](unsigned char c) { return c == 0; });
  if (all_zero) return HeaderStatus::kZeroBlock;

  // The checksum is the sum of all header bytes with the checksum field read as spaces. Old
  // tars summed signed chars, so both sums are accepted (Python's tarfile does the same).
  std::uint64_t unsigned_sum = 0;
  std::int64_t signed_sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    bool in_chksum = i >= kChksumOff && i < kChksumOff + kChksumLen;
    unsigned char c = in_chksum ? ' ' : block[i];
    unsigned_sum += c;
    signed_sum += static_cast<signed char>(c);
  }
  auto stored = parse_number(block + kChksumOff, kChksumLen);
  if (!stored || (*stored != unsigned_sum && static_cast<std::int64_t>(*stored) != signed_sum)) {
    return HeaderStatus::kBadChecksum;
  }

  auto size = parse_number(block + kSizeOff, kSizeLen);
  // Sizes past 2^62 are corrupt (and would overflow offset arithmetic), not real members.
  if (!size || *size > (std::uint64_t{1} << 62)) return HeaderStatus::kBadNumber;
  out.size = *size;
  out.type = static_cast<char>(block[kTypeOff]);
  out.name = std::string(field_string(block, kNameOff, kNameLen));
  // Only POSIX ustar ("ustar\0") has a prefix field; old GNU headers ("ustar  \0") keep other
  // data (atime, ctime) there.
  if (std::memcmp(block + kMagicOff, "ustar\0", 6) == 0) {
    std::string_view prefix = field_string(block, kPrefixOff, kPrefixLen);
    if (!prefix.empty()) out.name = std::string(prefix) + "/" + out.name;
  }
  // A pre-POSIX regular file whose name ends in '/' is a directory.
  if (out.type == kRegularOld && !out.name.empty() && out.name.back() == '/') {
    out.type = kDirectory;
  }
  return HeaderStatus::kOk;
}

bool parse_pax(std::string_view records, std::optional<std::string>& path,
               std::optional<std::uint64_t>& size) {
  while (!records.empty()) {
    // "<len> <key>=<value>\n", where <len> is the decimal length of the whole record.
    std::size_t sp = records.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp > 20) {
      // Trailing NUL padding after the last record is tolerated.
      return records.find_first_not_of('\0') == std::string_view::npos;
    }
    std::uint64_t len = 0;
    for (std::size_t i = 0; i < sp; ++i) {
      if (records[i] < '0' || records[i] > '9') return false;
      len = len * 10 + static_cast<std::uint64_t>(records[i] - '0');
    }
    if (len <= sp + 1 || len > records.size() || records[len - 1] != '\n') return false;
    std::string_view kv = records.substr(sp + 1, len - sp - 2);
    std::size_t eq = kv.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view key = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (key == "path") {
      path = std::string(value);
    } else if (key == "size") {
      std::uint64_t n = 0;
      if (value.empty() || value.size() > 19) return false;
      for (char c : value) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (n > (std::uint64_t{1} << 62)) return false;  // corrupt, see parse_header
      size = n;
    }
    records.remove_prefix(len);
  }
  return true;
}

void format_header(unsigned char* block, std::string_view name, std::uint64_t size, char type,
                   std::uint64_t mtime) {
  std::memset(block, 0, kBlock);
  std::string prefix, base;
  if (!split_ustar_name(name, prefix, base)) base = std::string(name.substr(0, kNameLen));
  std::memcpy(block + kNameOff, base.data(), base.size());
  std::memcpy(block + kPrefixOff, prefix.data(), prefix.size());
  put_octal(block, kModeOff, 8, 0644);
  put_octal(block, kUidOff, 8, 0);
  put_octal(block, kGidOff, 8, 0);
  if (size < (std::uint64_t{1} << 33)) {
    put_octal(block, kSizeOff, kSizeLen, size);
  } else {
    // Members of 8 GiB and more do not fit 11 octal digits: GNU base-256, which Python reads.
    block[kSizeOff] = 0x80;
    for (std::size_t i = 0; i < 8; ++i) block[kSizeOff + kSizeLen - 1 - i] = (size >> (8 * i)) & 0xff;
  }
  put_octal(block, kMtimeOff, 12, mtime);
  block[kTypeOff] = static_cast<unsigned char>(type);
  std::memcpy(block + kMagicOff, "ustar\0", 6);
  std::memcpy(block + kVersionOff, "00", 2);
  // Device numbers stay empty (all NUL) for regular files, as Python's tarfile writes them:
  // with that, our shards are byte-identical to tarfile's ustar output (tar_interop_check.py).
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    sum += (i >= kChksumOff && i < kChksumOff + kChksumLen) ? ' ' : block[i];
  }
  // Six octal digits, NUL, space: the traditional layout.
  std::string chk = fmt::format("{:06o}", sum);
  std::memcpy(block + kChksumOff, chk.data(), 6);
  block[kChksumOff + 6] = 0;
  block[kChksumOff + 7] = ' ';
}

bool split_ustar_name(std::string_view path, std::string& prefix, std::string& name) {
  if (path.size() <= kNameLen) {
    prefix.clear();
    name = std::string(path);
    return true;
  }
  // Split at the first '/' that leaves a name short enough (keeps the prefix shortest is not
  // required; any valid split is readable). The prefix must also fit its 155 bytes.
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '/') continue;
    if (i > kPrefixLen) return false;
    if (path.size() - i - 1 <= kNameLen && i > 0 && i + 1 < path.size()) {
      prefix = std::string(path.substr(0, i));
      name = std::string(path.substr(i + 1));
      return true;
    }
  }
  return false;
}

std::string pax_record(std::string_view key, std::string_view value) {
  // The length includes its own digits, so grow it until it is consistent.
  std::size_t body = 1 + key.size() + 1 + value.size() + 1;  // ' ' key '=' value '\n'
  std::size_t len = body + 1;
  while (fmt::formatted_size("{}", len) + body != len) len = fmt::formatted_size("{}", len) + body;
  return fmt::format("{} {}={}\n", len, key, value);
}

}  // namespace oqvl::data::tar
