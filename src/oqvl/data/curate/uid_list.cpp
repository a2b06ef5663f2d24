#include "oqvl/data/curate/uid_list.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/ranges.h>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/io/sample.h"

namespace oqvl::data {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::uint64_t read_le64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// The value text of `key` in the header dict ("{'descr': ..., 'fortran_order': False, ...}").
std::string_view dict_value(std::string_view header, std::string_view key, const std::string& name) {
  std::string quoted = "'" + std::string(key) + "'";
  std::size_t at = header.find(quoted);
  if (at == std::string_view::npos) fail("{}: .npy header has no {} ({})", name, quoted, header);
  std::size_t colon = header.find(':', at + quoted.size());
  if (colon == std::string_view::npos) fail("{}: malformed .npy header ({})", name, header);
  std::size_t start = colon + 1;
  while (start < header.size() && header[start] == ' ') ++start;
  // The value ends at the ',' or '}' that closes it at bracket depth 0.
  int depth = 0;
  std::size_t end = start;
  for (; end < header.size(); ++end) {
    char c = header[end];
    if (c == '[' || c == '(') ++depth;
    if (c == ']' || c == ')') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
  }
  return header.substr(start, end - start);
}

std::string strip_spaces(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\n') out += c;
  }
  return out;
}

// The dims of a shape tuple "(123,)" / "(123,2)".
std::vector<std::uint64_t> parse_shape(const std::string& shape, const std::string& name) {
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') {
    fail("{}: malformed .npy shape {}", name, shape);
  }
  std::vector<std::uint64_t> dims;
  std::string inner = shape.substr(1, shape.size() - 2);
  std::size_t pos = 0;
  while (pos < inner.size()) {
    std::size_t comma = inner.find(',', pos);
    std::string item = inner.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!item.empty()) {
      if (item.find_first_not_of("0123456789") != std::string::npos) {
        fail("{}: malformed .npy shape {}", name, shape);
      }
      // from_chars, not stoull: a dimension past 2^64 must be bad input, not std::out_of_range.
      std::uint64_t d = 0;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), d);
      if (ec != std::errc() || end != item.data() + item.size()) {
        fail("{}: malformed .npy shape {} (a dimension out of range)", name, shape);
      }
      dims.push_back(d);
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return dims;
}

bool is_two_u8_struct(const std::string& descr) {
  // [('f0','<u8'),('f1','<u8')] with any field names.
  if (descr.size() < 2 || descr.front() != '[' || descr.back() != ']') return false;
  std::size_t count = 0, pos = 0;
  while ((pos = descr.find("'<u8')", pos)) != std::string::npos) {
    ++count;
    pos += 6;
  }
  std::size_t tuples = std::count(descr.begin(), descr.end(), '(');
  return count == 2 && tuples == 2;
}

}  // namespace

std::optional<Uid128> parse_uid_hex(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  Uid128 uid;
  for (int i = 0; i < 32; ++i) {
    int v = hex_value(hex[i]);
    if (v < 0) return std::nullopt;
    std::uint64_t& half = i < 16 ? uid.hi : uid.lo;
    half = (half << 4) | static_cast<std::uint64_t>(v);
  }
  return uid;
}

std::string format_uid_hex(Uid128 uid) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = kDigits[(uid.hi >> (4 * i)) & 15];
    out[31 - i] = kDigits[(uid.lo >> (4 * i)) & 15];
  }
  return out;
}

UidSet UidSet::from(std::vector<Uid128> uids) {
  UidSet set;
  if (!std::is_sorted(uids.begin(), uids.end())) std::sort(uids.begin(), uids.end());
  set.uids_ = std::move(uids);
  return set;
}

UidSet UidSet::load_npy(const std::filesystem::path& path) {
  MappedFile file(path);
  return parse_npy(file.view(), path.string());
}

UidSet UidSet::parse_npy(std::string_view bytes, const std::string& name) {
  // Layout: "\x93NUMPY", major, minor, header length (u16 for v1, u32 for v2/v3), the header
  // (a Python dict literal, latin-1 for v1/v2, utf-8 for v3), then the raw array data.
  if (bytes.size() < 10 || bytes.substr(0, 6) != std::string_view("\x93NUMPY", 6)) {
    fail("{}: not a .npy file (no \\x93NUMPY magic)", name);
  }
  int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail("{}: truncated .npy header", name);
    header_len = 0;
    for (int i = 11; i >= 8; --i) header_len = (header_len << 8) | static_cast<unsigned char>(bytes[i]);
    header_start = 12;
  } else {
    fail("{}: unsupported .npy format version {}", name, major);
  }
  if (header_start + header_len > bytes.size()) fail("{}: truncated .npy header", name);
  std::string_view header = bytes.substr(header_start, header_len);
  std::string descr = strip_spaces(dict_value(header, "descr", name));
  std::string fortran = strip_spaces(dict_value(header, "fortran_order", name));
  auto shape = parse_shape(strip_spaces(dict_value(header, "shape", name)), name);
  for (char& c : descr) {
    if (c == '"') c = '\'';
  }

  std::uint64_t count = 0;
  bool plain_u8 = descr == "'<u8'";
  if (is_two_u8_struct(descr) && shape.size() == 1) {
    count = shape[0];
  } else if (plain_u8 && shape.size() == 2 && shape[1] == 2) {
    if (fortran != "False") fail("{}: uid array is Fortran-ordered; save it C-ordered", name);
    count = shape[0];
  } else {
    fail("{}: not a uid list: dtype {} shape ({}) — expected [('f0','<u8'),('f1','<u8')] of "
         "shape (n,) or '<u8' of shape (n, 2)",
         name, descr, fmt::join(shape, ", "));
  }
  std::size_t data_start = header_start + header_len;
  if (bytes.size() - data_start != count * 16) {
    fail("{}: .npy body has {} bytes, the header says {} uids ({} bytes)", name, bytes.size() - data_start,
         count, count * 16);
  }
  std::vector<Uid128> uids(count);
  const char* p = bytes.data() + data_start;
  for (std::uint64_t i = 0; i < count; ++i) {
    uids[i] = {read_le64(p + 16 * i), read_le64(p + 16 * i + 8)};
  }
  return from(std::move(uids));
}

bool UidSet::contains(Uid128 uid) const { return std::binary_search(uids_.begin(), uids_.end(), uid); }

std::optional<Uid128> sample_uid(const nlohmann::json& sample_json) {
  if (!sample_json.is_object()) return std::nullopt;
  const auto it = sample_json.find("uid");
  if (it == sample_json.end() || !it->is_string()) return std::nullopt;
  return parse_uid_hex(it->get_ref<const std::string&>());
}

std::optional<Uid128> sample_uid(const Sample& sample) {
  const Field* json = sample.find(kJsonExtensions);
  if (!json) return std::nullopt;
  const auto j = nlohmann::json::parse(json->bytes, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? std::nullopt : sample_uid(j);
}

}  // namespace oqvl::data
