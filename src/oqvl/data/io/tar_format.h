// The tar header block (POSIX ustar, with the GNU and pax extensions the reader understands),
// shared by the shard reader and writer.
//
// A tar file is a sequence of 512-byte blocks: a header, then the member's data padded to a
// whole block, repeated; the archive ends with two all-zero blocks. Numbers in headers are
// NUL/space-terminated octal, or base-256 (GNU) when the first byte has its high bit set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oqvl::data::tar {

inline constexpr std::size_t kBlock = 512;

// Bytes a member of `size` bytes occupies after its header (data padded to a whole block).
constexpr std::uint64_t padded(std::uint64_t size) { return (size + kBlock - 1) / kBlock * kBlock; }

// Type flags that matter here (anything else is skipped by the reader).
inline constexpr char kRegular = '0';
inline constexpr char kRegularOld = '\0';  // pre-POSIX regular file
inline constexpr char kContiguous = '7';   // treated as a regular file, like Python's tarfile
inline constexpr char kDirectory = '5';
inline constexpr char kGnuLongName = 'L';
inline constexpr char kGnuLongLink = 'K';
inline constexpr char kPaxHeader = 'x';
inline constexpr char kPaxGlobal = 'g';

// What the reader needs from one header block.
struct Header {
  std::string name;  // prefix + "/" + name for POSIX ustar headers with a prefix
  std::uint64_t size = 0;
  char type = kRegular;
};

enum class HeaderStatus { kOk, kZeroBlock, kBadChecksum, kBadNumber };

// Parses one 512-byte block. kZeroBlock marks the end of the archive.
HeaderStatus parse_header(const unsigned char* block, Header& out);

// Reads a numeric header field (octal or base-256); nullopt if malformed or negative.
std::optional<std::uint64_t> parse_number(const unsigned char* field, std::size_t len);

// Applies the records of a pax extended header ("<len> <key>=<value>\n"...) that the reader
// uses: `path` and `size`. Returns false if the records are malformed.
bool parse_pax(std::string_view records, std::optional<std::string>& path,
               std::optional<std::uint64_t>& size);

// Writes a deterministic ustar header for a regular file into `block` (512 bytes): mode 0644,
// uid/gid 0, mtime `mtime`, empty user/group names and device numbers — byte for byte what
// Python's tarfile writes for the same ustar member. `name` must fit (see split_ustar_name).
void format_header(unsigned char* block, std::string_view name, std::uint64_t size, char type = kRegular,
                   std::uint64_t mtime = 0);

// Splits a path into the ustar (prefix, name) fields: name <= 100 bytes, prefix <= 155 bytes,
// joined by the '/' between them. Returns false if the path cannot be split that way.
bool split_ustar_name(std::string_view path, std::string& prefix, std::string& name);

// One pax record "<len> <key>=<value>\n" (the length counts itself).
std::string pax_record(std::string_view key, std::string_view value);

}  // namespace oqvl::data::tar
