#include "oqvl/data/io/tar_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "oqvl/core/log.h"
#include "oqvl/data/io/tar_format.h"

namespace oqvl::data {
namespace fs = std::filesystem;

// A buffered, forward-only reader over a file descriptor that knows its byte offset. Large
// reads bypass the buffer and go straight into the caller's memory.
class ByteSource {
 public:
  explicit ByteSource(const fs::path& path) {
    if (path == "-") {
      fd_ = STDIN_FILENO;
      own_ = false;
    } else {
      fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) {
        throw BadShardError("cannot open shard",
                            fmt::format("cannot open shard '{}': {}", path.string(), std::strerror(errno)));
      }
    }
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
      size_ = static_cast<std::uint64_t>(st.st_size);
      ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    } else if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
      if (own_) ::close(fd_);
      throw BadShardError("cannot open shard",
                          fmt::format("cannot read shard '{}': it is a folder", path.string()));
    }
    buf_.resize(kBufferSize);
  }
  ~ByteSource() {
    if (own_) ::close(fd_);
  }

  // Reads up to n bytes; fewer only at end of file.
  std::size_t read(void* dst, std::size_t n) {
    auto* out = static_cast<char*>(dst);
    std::size_t done = std::min(n, end_ - pos_);
    std::memcpy(out, buf_.data() + pos_, done);
    pos_ += done;
    while (done < n) {
      std::size_t want = n - done;
      if (want >= buf_.size()) {
        std::size_t got = raw_read(out + done, want);
        if (got == 0) break;
        done += got;
      } else {
        pos_ = 0;
        end_ = raw_read(buf_.data(), buf_.size());
        if (end_ == 0) break;
        std::size_t take = std::min(want, end_);
        std::memcpy(out + done, buf_.data(), take);
        pos_ = take;
        done += take;
      }
    }
    offset_ += done;
    return done;
  }

  // Skips up to n bytes; fewer only at end of file.
  std::uint64_t skip(std::uint64_t n) {
    std::uint64_t done = std::min<std::uint64_t>(n, end_ - pos_);
    pos_ += done;
    offset_ += done;
    if (done == n) return done;
    if (size_) {
      // A regular file: seek instead of reading, clamped to its size.
      std::uint64_t target = std::min(*size_, offset_ + (n - done));
      if (::lseek(fd_, static_cast<off_t>(target), SEEK_SET) < 0) {
        fail("cannot seek in shard: {}", std::strerror(errno));
      }
      done += target - offset_;
      offset_ = target;
      pos_ = end_ = 0;
      return done;
    }
    char scratch[1 << 16];
    while (done < n) {
      std::size_t got = read(scratch,
                             static_cast<std::size_t>(std::min<std::uint64_t>(n - done, sizeof scratch)));
      if (got == 0) break;
      done += got;
    }
    return done;
  }

  // Moves to byte `offset` of a regular file (the caller checks it is within the file).
  void seek(std::uint64_t offset) {
    if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
      fail("cannot seek in shard: {}", std::strerror(errno));
    }
    pos_ = end_ = 0;
    offset_ = offset;
  }

  std::uint64_t offset() const { return offset_; }
  std::optional<std::uint64_t> size() const { return size_; }

 private:
  static constexpr std::size_t kBufferSize = 256 * 1024;

  std::size_t raw_read(char* dst, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
      ssize_t got = ::read(fd_, dst + done, n - done);
      if (got < 0) {
        if (errno == EINTR) continue;
        fail("cannot read shard: {}", std::strerror(errno));
      }
      if (got == 0) break;
      done += static_cast<std::size_t>(got);
      if (!size_) break;  // a pipe: hand out what arrived
    }
    return done;
  }

  int fd_ = -1;
  bool own_ = true;
  std::optional<std::uint64_t> size_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  std::uint64_t offset_ = 0;
};

std::optional<std::pair<std::string, std::string>> split_member_name(std::string_view name) {
  // Same result as webdataset's regex ^((?:.*/|)[^.]+)[.]([^/]*)$: the extension starts at a
  // dot after the last '/', and the text before that dot back to the previous '/' (or the
  // start) must be non-empty and dot-free.
  std::size_t slash = name.rfind('/');
  std::size_t tail_start = slash == std::string_view::npos ? 0 : slash + 1;
  std::size_t dot = name.find('.', tail_start);
  if (dot == std::string_view::npos) return std::nullopt;
  if (dot > tail_start) {
    return std::pair{std::string(name.substr(0, dot)), std::string(name.substr(dot + 1))};
  }
  // The basename starts with a dot ("dir/.jpg"): the regex can still match with the key
  // ending in the '/', if the last folder name has no dot.
  if (slash == std::string_view::npos) return std::nullopt;
  std::size_t prev = slash == 0 ? std::string_view::npos : name.rfind('/', slash - 1);
  std::size_t folder_start = prev == std::string_view::npos ? 0 : prev + 1;
  if (name.substr(folder_start, slash - folder_start).find('.') != std::string_view::npos) {
    return std::nullopt;
  }
  return std::pair{std::string(name.substr(0, slash + 1)), std::string(name.substr(slash + 2))};
}

bool is_meta_member(std::string_view name) {
  // webdataset skips "__*__" at the top level, and r"__[^/]*__($|/)" as a leading folder.
  auto meta = [](std::string_view s) { return s.size() >= 2 && s.starts_with("__") && s.ends_with("__"); };
  std::size_t slash = name.find('/');
  if (slash == std::string_view::npos) return meta(name);
  std::string_view first = name.substr(0, slash);
  return first.size() >= 4 && meta(first);
}

// ---- TarMemberReader ----

TarMemberReader::TarMemberReader(const fs::path& path)
    : shard_(path.string()), in_(std::make_unique<ByteSource>(path)) {}

TarMemberReader::~TarMemberReader() = default;

void TarMemberReader::bad(const std::string& reason, std::uint64_t offset, std::string_view what) {
  at_end_ = true;
  throw BadShardError(reason, fmt::format("shard '{}': {} at byte {}", shard_, what, offset));
}

void TarMemberReader::skip_rest_of_member() {
  if (data_left_ > 0) {
    std::uint64_t want = data_left_;
    data_left_ = 0;
    if (in_->skip(want) < want) {
      bad("truncated tar", in_->offset(), "unexpected end of file inside a member's data");
    }
  }
  // A file that ends inside a member's padding is truncated: Python's tarfile and webdataset
  // raise "unexpected end of data" there too.
  std::uint64_t want = padding_;
  padding_ = 0;
  if (in_->skip(want) < want) {
    bad("truncated tar", in_->offset(), "unexpected end of file inside a member's padding");
  }
}

bool TarMemberReader::next(TarMember& member) {
  if (at_end_) return false;
  skip_rest_of_member();
  // Extended headers (GNU long name, pax) apply to the next real header.
  std::optional<std::string> long_name, pax_path;
  std::optional<std::uint64_t> pax_size;
  std::optional<std::uint64_t> first_offset;
  unsigned char block[tar::kBlock];
  constexpr std::uint64_t kMaxMetaSize = 1 << 20;  // long names and pax records are small

  auto read_meta = [&](std::uint64_t size, std::uint64_t at) {
    if (size > kMaxMetaSize) bad("bad tar header", at, "implausibly large extended header");
    std::string data(size, '\0');
    if (in_->read(data.data(), size) < size) {
      bad("truncated tar", in_->offset(), "unexpected end of file inside an extended header");
    }
    in_->skip(tar::padded(size) - size);
    return data;
  };

  while (true) {
    std::uint64_t at = in_->offset();
    std::size_t got = in_->read(block, tar::kBlock);
    if (got == 0) {
      if (!seen_header_) bad("empty shard", at, "file is empty (0 bytes), not a tar");
      if (first_offset) bad("truncated tar", at, "unexpected end of file after an extended header");
      at_end_ = true;  // no end-of-archive blocks: tolerated like Python's tarfile
      return false;
    }
    if (got < tar::kBlock) {
      if (!seen_header_) bad("not a tar file", 0, "not a tar file (shorter than one header)");
      bad("truncated tar", at, "unexpected end of file inside a header");
    }
    tar::Header h;
    switch (tar::parse_header(block, h)) {
      case tar::HeaderStatus::kOk: break;
      case tar::HeaderStatus::kZeroBlock:
        if (first_offset) bad("bad tar header", at, "end-of-archive block after an extended header");
        at_end_ = true;
        return false;
      case tar::HeaderStatus::kBadChecksum:
        if (!seen_header_) bad("not a tar file", at, "not a tar file (no valid tar header)");
        bad("bad tar header", at, "bad header checksum");
      case tar::HeaderStatus::kBadNumber: bad("bad tar header", at, "malformed size field in header");
    }
    seen_header_ = true;
    if (!first_offset) first_offset = at;
    if (pax_size) h.size = *pax_size;

    switch (h.type) {
      case tar::kGnuLongName: {
        std::string data = read_meta(h.size, at);
        long_name = data.substr(0, data.find('\0'));
        continue;
      }
      case tar::kPaxHeader: {
        std::string data = read_meta(h.size, at);
        if (!tar::parse_pax(data, pax_path, pax_size)) bad("bad tar header", at, "malformed pax header");
        continue;
      }
      case tar::kGnuLongLink:
      case tar::kPaxGlobal: read_meta(h.size, at); continue;
      case tar::kRegular:
      case tar::kRegularOld:
      case tar::kContiguous:
        member.name = pax_path ? *pax_path : long_name ? *long_name : h.name;
        member.size = h.size;
        member.offset = *first_offset;
        data_left_ = h.size;
        padding_ = tar::padded(h.size) - h.size;
        data_offset_ = in_->offset();
        return true;
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
        // Links, devices, folders, FIFOs: no data blocks follow, whatever the size field says
        // (Python's tarfile reads them the same way).
        break;
      default: {
        // Unknown or unsupported (e.g. GNU sparse) entries: skip their data.
        std::uint64_t n = tar::padded(h.size);
        if (in_->skip(n) < n)
          bad("truncated tar", in_->offset(), "unexpected end of file inside a member's data");
        break;
      }
    }
    long_name.reset();
    pax_path.reset();
    pax_size.reset();
    first_offset.reset();
  }
}

void TarMemberReader::read_data(std::string& out) {
  std::uint64_t size = data_left_;
  auto file_size = in_->size();
  if (file_size && (data_offset_ > *file_size || size > *file_size - data_offset_)) {
    bad("truncated tar", data_offset_,
        fmt::format("member of {} bytes does not fit in the file ({} bytes)", size, *file_size));
  }
  // For pipes the size is not known up front: grow in steps so a corrupt size field cannot
  // make us allocate more than what actually arrives.
  constexpr std::uint64_t kStep = std::uint64_t{64} << 20;
  out.clear();
  std::uint64_t done = 0;
  while (done < size) {
    std::uint64_t chunk = file_size ? size - done : std::min(kStep, size - done);
    out.resize(static_cast<std::size_t>(done + chunk));
    std::size_t got = in_->read(out.data() + done, static_cast<std::size_t>(chunk));
    done += got;
    if (got < chunk) {
      data_left_ = 0;
      bad("truncated tar", in_->offset(), "unexpected end of file inside a member's data");
    }
  }
  data_left_ = 0;
}

void TarMemberReader::start_at(std::uint64_t offset) {
  auto size = in_->size();
  auto refuse = [&](std::string_view why) {
    fail("shard '{}': cannot start reading at byte {}: {}", shard_, offset, why);
  };
  if (!size) refuse("not a regular file (standard input or a pipe cannot seek)");
  if (offset >= *size) refuse(fmt::format("at or past the end of the file ({} bytes)", *size));
  if (offset % tar::kBlock != 0) refuse("not at a tar header boundary (a multiple of 512 bytes)");
  // Check there is a header there before moving: a wrong offset would otherwise read data as
  // headers and fail later with a misleading "bad header checksum".
  in_->seek(offset);
  unsigned char block[tar::kBlock];
  tar::Header h;
  if (in_->read(block, tar::kBlock) < tar::kBlock) refuse("not a tar header (the file ends inside it)");
  tar::HeaderStatus status = tar::parse_header(block, h);
  if (status == tar::HeaderStatus::kZeroBlock) refuse("that is the end-of-archive marker, not a sample");
  if (status != tar::HeaderStatus::kOk) refuse("no valid tar header there (not the offset of a sample)");
  in_->seek(offset);
  data_left_ = padding_ = 0;
  at_end_ = false;
  seen_header_ = true;
}

// ---- TarReader ----

TarReader::TarReader(const fs::path& shard, TarReaderOptions options) : path_(shard), options_(options) {}

TarReader::~TarReader() = default;

void TarReader::count(const std::string& reason) {
  if (options_.skipped) options_.skipped->add(reason);
}

void TarReader::start_at(std::uint64_t offset) {
  auto members = std::make_unique<TarMemberReader>(path_);
  members->start_at(offset);
  members_ = std::move(members);
  pending_.reset();
  done_ = false;
}

std::optional<Sample> TarReader::next() {
  if (done_) return std::nullopt;
  try {
    return next_or_throw();
  } catch (const BadShardError& e) {
    done_ = true;
    if (options_.on_bad == OnBadInput::kFail) throw;
    log::warn("skipping the rest of a shard: {}", e.what());
    count(e.reason);
    return std::nullopt;
  }
}

std::optional<Sample> TarReader::next_or_throw() {
  if (!members_) members_ = std::make_unique<TarMemberReader>(path_);
  while (true) {
    Sample sample;
    bool started = false, duplicate = false;
    while (true) {
      TarMember m;
      if (pending_) {
        m = std::move(*pending_);
        pending_.reset();
      } else if (!members_->next(m)) {
        done_ = true;
        break;
      }
      if (is_meta_member(m.name)) continue;
      auto split = split_member_name(m.name);
      if (!split) {
        log::debug("shard '{}': member '{}' at byte {} has no key, skipped", members_->shard(), m.name,
                   m.offset);
        count("tar member without key");
        continue;
      }
      // Named references, not a structured binding: clang 14 (the fuzz build) cannot capture
      // bindings in the lambda below.
      const std::string& key = split->first;
      std::string& ext = split->second;
      if (options_.lowercase_ext) {
        std::transform(ext.begin(), ext.end(), ext.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      }
      if (started && key != sample.key) {
        pending_ = std::move(m);
        break;
      }
      if (!started) {
        started = true;
        sample.key = key;
        sample.shard = members_->shard();
        sample.offset = m.offset;
      }
      bool seen = std::any_of(sample.fields.begin(), sample.fields.end(),
                              [&](const Field& f) { return f.ext == ext; });
      if (seen) {
        std::string msg = fmt::format("shard '{}': sample '{}' has two '{}' members (second at "
                                      "byte {})",
                                      members_->shard(), key, ext, m.offset);
        if (options_.on_bad == OnBadInput::kFail) throw BadShardError("duplicate field", msg);
        log::warn("skipping a sample: {}", msg);
        duplicate = true;
      }
      if (duplicate) continue;  // its remaining members are skipped unread
      std::string data;
      members_->read_data(data);
      sample.add(std::move(ext), std::move(data));
    }
    if (!started) return std::nullopt;
    if (!duplicate) return sample;
    count("duplicate field");
    if (done_) return std::nullopt;
  }
}

// ---- ShardReader ----

ShardReader::ShardReader(std::vector<std::string> shards, TarReaderOptions options)
    : shards_(std::move(shards)), options_(options) {}

ShardReader::~ShardReader() = default;

std::optional<Sample> ShardReader::next() {
  while (true) {
    if (!current_) {
      if (index_ >= shards_.size()) return std::nullopt;
      current_ = std::make_unique<TarReader>(shards_[index_++], options_);
    }
    if (auto s = current_->next()) return s;
    current_.reset();
  }
}

}  // namespace oqvl::data
