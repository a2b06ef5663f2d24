// ShardWriter: writes Samples into numbered WebDataset tar shards, starting a new shard when
// the current one reaches a sample or byte limit.
//
// Output is deterministic: the same samples give the same bytes. Members are named
// `{key}.{ext}` in the sample's field order, with ustar headers carrying mtime 0 (or
// ShardWriterOptions::mtime), uid/gid 0, mode 0644 and empty user/group names; a name too long
// for ustar's name+prefix fields gets a pax `path` record. Each shard is written under a
// temporary name and renamed into place when complete, so a shard that exists is whole.
// Python's tarfile and webdataset read the result (tests/data/io/tar_writer_test.cpp checks it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "oqvl/data/io/sample.h"

namespace oqvl {
class AtomicFile;
}

namespace oqvl::data {

struct ShardWriterOptions {
  std::uint64_t max_samples = 10000;     // per shard (0 = no limit); 10k like the resharder
  std::uint64_t max_bytes = 3ull << 30;  // per shard incl. headers (0 = no limit)
  std::uint64_t first_index = 0;         // number of the first shard
  std::uint64_t mtime = 0;               // header mtime of every member
};

struct WrittenShard {
  std::string path;
  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;  // file size
};

struct ShardWriterResult {
  std::vector<WrittenShard> shards;
  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;
};

// Formats a shard name pattern with an index: printf style ("out/%06d.tar") or fmt style
// ("out/{:06d}.tar", "out/{}.tar"). Throws oqvl::Error if the pattern has no placeholder.
std::string format_shard_name(const std::string& pattern, std::uint64_t index);

class ShardWriter {
 public:
  ShardWriter(std::string pattern, ShardWriterOptions options = {});
  // Without close() (an exception unwinding), the unfinished shard is discarded.
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // Appends a sample; throws oqvl::Error if its key or extensions would not read back as the
  // same sample (empty key, a dot in the key's basename, an empty or '/'-containing extension,
  // a duplicate extension, the same key as the sample before it in the same shard).
  void write(const Sample& sample);
  // Finishes the current shard and returns every shard written.
  ShardWriterResult close();

 private:
  void open_next();
  void finish_current();
  void put(const void* data, std::size_t size);

  std::string pattern_;
  ShardWriterOptions options_;
  std::uint64_t next_index_;
  std::unique_ptr<AtomicFile> file_;
  WrittenShard current_;
  std::string last_key_;  // of the last sample in the current shard
  ShardWriterResult result_;
  bool closed_ = false;
};

}  // namespace oqvl::data
