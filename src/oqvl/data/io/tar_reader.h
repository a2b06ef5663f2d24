// Streaming reader of WebDataset tar shards: members are read one by one through a buffered
// reader (never the whole shard in memory) and grouped into Samples the way the Python
// webdataset library groups them.
//
// Grouping rules (webdataset 1.0.2 `tar_file_iterator` + `group_by_keys`):
// - only regular files count; directories, links and other entries are skipped;
// - metadata members named `__*__` (at the top level or as a leading folder) are skipped;
// - a member name splits into key and extension at the first dot of its basename, folder kept
//   in the key (split_member_name); a name with no such split (no dot, or a basename starting
//   with a dot) has no key and is skipped, like webdataset does — counted in the SkipCounter
//   under "tar member without key" but never an error;
// - extensions are lower-cased; consecutive members with the same key form one sample;
// - a sample with the same extension twice is bad input (webdataset raises ValueError).
//
// Tar dialects: POSIX ustar (prefix field), GNU long names ('L'), pax extended headers ('x':
// path and size; global 'g' headers are ignored), base-256 sizes. The archive ends at the first
// zero block or at end of file on a header boundary (as Python's tarfile tolerates).
//
// Bad input (a truncated member, a header with a bad checksum, a file that is not a tar, an
// empty file, a duplicate field) throws BadShardError naming the shard and byte offset. With
// OnBadInput::kSkip the reader instead counts the reason in the SkipCounter, drops the sample
// being assembled and — since a tar cannot be resynchronised after a bad header — the rest of
// that shard, and goes on with the next shard. Samples handed out before are complete.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oqvl/core/bad_input.h"
#include "oqvl/core/error.h"
#include "oqvl/data/io/sample.h"

namespace oqvl::data {

// Bad shard content; `reason` is the short SkipCounter reason ("truncated tar", ...).
class BadShardError : public Error {
 public:
  BadShardError(std::string reason, const std::string& message) : Error(message), reason(std::move(reason)) {}
  std::string reason;
};

// webdataset's base_plus_ext: ("dir/abc", "jpg") for "dir/abc.jpg", ("a", "b.c") for "a.b.c";
// nullopt for names without a key ("abc", ".jpg").
std::optional<std::pair<std::string, std::string>> split_member_name(std::string_view name);

// Whether webdataset skips the member as metadata (`__key__`-style names).
bool is_meta_member(std::string_view name);

struct TarReaderOptions {
  OnBadInput on_bad = OnBadInput::kFail;
  SkipCounter* skipped = nullptr;  // where kSkip counts (and keyless members are counted)
  bool lowercase_ext = true;       // webdataset lower-cases extensions
};

// One regular-file member, header only; its data follows in the stream.
struct TarMember {
  std::string name;
  std::uint64_t size = 0;
  std::uint64_t offset = 0;  // byte offset of its (first) header in the shard
};

class ByteSource;

// Regular-file members of one tar, in order. Throws BadShardError on bad input.
class TarMemberReader {
 public:
  // `path` "-" reads standard input.
  explicit TarMemberReader(const std::filesystem::path& path);
  ~TarMemberReader();
  TarMemberReader(const TarMemberReader&) = delete;
  TarMemberReader& operator=(const TarMemberReader&) = delete;

  // Reads the next regular member's header; false at the end of the archive. The previous
  // member's data is skipped if it was not read.
  bool next(TarMember& member);
  // Reads the current member's data into `out` (once per member).
  void read_data(std::string& out);
  // Goes to the header at byte `offset` (see TarReader::start_at); throws oqvl::Error if there
  // is no tar header there.
  void start_at(std::uint64_t offset);
  const std::string& shard() const { return shard_; }

 private:
  [[noreturn]] void bad(const std::string& reason, std::uint64_t offset, std::string_view what);
  void skip_rest_of_member();

  std::string shard_;
  std::unique_ptr<ByteSource> in_;
  std::uint64_t data_left_ = 0;  // unread data bytes of the current member
  std::uint64_t padding_ = 0;    // padding after them
  std::uint64_t data_offset_ = 0;
  bool at_end_ = false;
  bool seen_header_ = false;
};

// Samples of one shard, in order. With kSkip, bad input ends the shard quietly (counted).
class TarReader {
 public:
  explicit TarReader(const std::filesystem::path& shard, TarReaderOptions options = {});
  ~TarReader();

  // The next sample, or nullopt at the end of the shard.
  std::optional<Sample> next();

  // Goes to byte `offset` of the shard, the Sample::offset of a sample read earlier, so a
  // trainer resumes mid-shard without reading what comes before; next() then returns that
  // sample and the ones after it. Any other offset is an oqvl::Error naming shard and offset:
  // not a multiple of 512, at or past the end of the file, or no valid tar header there (the
  // end-of-archive marker included). A 512-aligned offset inside a member's data that happens
  // to hold a valid header, or a sample's second member, cannot be told apart; pass offsets
  // this reader reported. Regular files only (not standard input). Callable at any time (it
  // drops what was read ahead); on error the reader is left as it was.
  void start_at(std::uint64_t offset);

 private:
  std::optional<Sample> next_or_throw();
  void count(const std::string& reason);

  std::filesystem::path path_;
  TarReaderOptions options_;
  std::unique_ptr<TarMemberReader> members_;
  std::optional<TarMember> pending_;  // header read, data not yet: starts the next sample
  bool done_ = false;
};

// Samples of several shards in order (expand specs first with expand_shard_specs).
class ShardReader {
 public:
  explicit ShardReader(std::vector<std::string> shards, TarReaderOptions options = {});
  ~ShardReader();

  std::optional<Sample> next();
  // Index in the shard list of the shard the last sample came from.
  std::size_t shard_index() const { return index_ == 0 ? 0 : index_ - 1; }

 private:
  std::vector<std::string> shards_;
  TarReaderOptions options_;
  std::size_t index_ = 0;
  std::unique_ptr<TarReader> current_;
};

}  // namespace oqvl::data
