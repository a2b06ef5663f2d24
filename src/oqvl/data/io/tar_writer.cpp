#include "oqvl/data/io/tar_writer.h"

#include <fmt/format.h>

#include <cctype>
#include <cstring>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/io/tar_format.h"
#include "oqvl/data/io/tar_reader.h"

namespace oqvl::data {
namespace {

constexpr std::uint64_t kEndOfArchive = 2 * tar::kBlock;
const unsigned char kZeros[2 * tar::kBlock] = {};

// Bytes a member takes in the tar: header(s) plus padded data.
std::uint64_t member_bytes(const std::string& name, std::uint64_t size) {
  std::string prefix, base;
  std::uint64_t headers = tar::kBlock;
  if (!tar::split_ustar_name(name, prefix, base)) {
    headers += tar::kBlock + tar::padded(tar::pax_record("path", name).size());
  }
  return headers + tar::padded(size);
}

}  // namespace

std::string format_shard_name(const std::string& pattern, std::uint64_t index) {
  std::size_t pct = pattern.find('%');
  if (pct != std::string::npos) {
    // One printf integer conversion: %d, %6d, %06d (and %% for a literal percent sign).
    std::string out;
    bool used = false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] != '%') {
        out += pattern[i];
        continue;
      }
      if (i + 1 < pattern.size() && pattern[i + 1] == '%') {
        out += '%';
        ++i;
        continue;
      }
      std::size_t j = i + 1;
      bool zero = j < pattern.size() && pattern[j] == '0';
      if (zero) ++j;
      std::size_t width = 0;
      while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j]))) {
        width = width * 10 + static_cast<std::size_t>(pattern[j++] - '0');
      }
      while (j < pattern.size() && pattern[j] == 'l') ++j;
      if (j >= pattern.size() || (pattern[j] != 'd' && pattern[j] != 'u') || used || width > 30) {
        fail("bad shard name pattern '{}': use one %d, %06d or {{:06d}} placeholder", pattern);
      }
      out += zero ? fmt::format("{:0{}d}", index, width) : fmt::format("{:{}d}", index, width);
      used = true;
      i = j;
    }
    if (!used) fail("shard name pattern '{}' has no %d placeholder for the shard number", pattern);
    return out;
  }
  if (pattern.find('{') == std::string::npos) {
    fail("shard name pattern '{}' has no placeholder for the shard number (e.g. "
         "out/%06d.tar or out/{{:06d}}.tar)",
         pattern);
  }
  try {
    return fmt::format(fmt::runtime(pattern), index);
  } catch (const fmt::format_error& e) {
    fail("bad shard name pattern '{}': {}", pattern, e.what());
  }
}

ShardWriter::ShardWriter(std::string pattern, ShardWriterOptions options)
    : pattern_(std::move(pattern)), options_(options), next_index_(options.first_index) {
  format_shard_name(pattern_, next_index_);  // fail early on a bad pattern
}

ShardWriter::~ShardWriter() = default;  // AtomicFile removes an uncommitted temporary file

void ShardWriter::put(const void* data, std::size_t size) {
  file_->write(data, size);
  current_.bytes += size;
}

void ShardWriter::open_next() {
  current_ = WrittenShard{};
  current_.path = format_shard_name(pattern_, next_index_++);
  file_ = std::make_unique<AtomicFile>(current_.path);
}

void ShardWriter::finish_current() {
  if (!file_) return;
  put(kZeros, sizeof kZeros);
  file_->commit();
  file_.reset();
  result_.samples += current_.samples;
  result_.bytes += current_.bytes;
  result_.shards.push_back(current_);
}

void ShardWriter::write(const Sample& sample) {
  if (closed_) fail("ShardWriter::write after close()");
  // Check the sample reads back as itself: its names must split into exactly (key, ext).
  std::uint64_t size = 0;
  std::vector<std::string> names;
  for (const Field& f : sample.fields) {
    std::string name = sample.key + "." + f.ext;
    auto split = split_member_name(name);
    if (sample.key.empty() || f.ext.empty() || !split || split->first != sample.key ||
        split->second != f.ext || is_meta_member(name) || name.find('\0') != std::string::npos) {
      fail("cannot write sample {}: member name '{}' would not read back as key '{}' + "
           "extension '{}'",
           sample.where(), name, sample.key, f.ext);
    }
    for (const std::string& n : names) {
      if (n == name) fail("cannot write sample {}: two '{}' fields", sample.where(), f.ext);
    }
    size += member_bytes(name, f.bytes.size());
    names.push_back(std::move(name));
  }
  if (sample.fields.empty()) fail("cannot write sample {}: it has no fields", sample.where());

  bool full = file_ && ((options_.max_samples && current_.samples >= options_.max_samples) ||
                        (options_.max_bytes && current_.bytes + size + kEndOfArchive > options_.max_bytes));
  if (full) finish_current();
  // Consecutive members with one key form one sample: two samples with the same key in a row
  // (two sources numbering their samples alike) would read back as one.
  if (file_ && sample.key == last_key_) {
    fail("cannot write sample {}: the sample before it in {} has the same key, and the two would "
         "read back as one sample",
         sample.where(), current_.path);
  }
  if (!file_) open_next();
  last_key_ = sample.key;

  unsigned char header[tar::kBlock];
  for (std::size_t i = 0; i < sample.fields.size(); ++i) {
    const std::string& name = names[i];
    const std::string& data = sample.fields[i].bytes;
    std::string prefix, base;
    if (!tar::split_ustar_name(name, prefix, base)) {
      // Too long for ustar: a pax header carries the full path (what Python's PAX format does).
      std::string record = tar::pax_record("path", name);
      tar::format_header(header, "././@PaxHeader", record.size(), tar::kPaxHeader, options_.mtime);
      put(header, sizeof header);
      put(record.data(), record.size());
      put(kZeros, tar::padded(record.size()) - record.size());
    }
    tar::format_header(header, name, data.size(), tar::kRegular, options_.mtime);
    put(header, sizeof header);
    put(data.data(), data.size());
    put(kZeros, tar::padded(data.size()) - data.size());
  }
  ++current_.samples;
}

ShardWriterResult ShardWriter::close() {
  if (!closed_) {
    finish_current();
    closed_ = true;
  }
  return result_;
}

}  // namespace oqvl::data
