// File helpers: whole-file reads, read-only memory maps, and atomic writes (temp file in the
// same folder + rename), so an interrupted run never leaves a truncated file that looks done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oqvl {

// Whether `path` exists. Where std::filesystem::exists throws std::filesystem_error (a name too
// long to look up, no permission on a folder on the way), this throws oqvl::Error naming the path,
// for paths built from input (tests/fuzz/corpus/conversations/regress-long-name).
bool path_exists(const std::filesystem::path& path);

// Reads a whole file; throws oqvl::Error naming the path if it cannot.
std::string read_file(const std::filesystem::path& path);

// Creates `dir` (and parents) and checks a file can be written in it, so a command fails with a
// clear error before any work rather than after it. Throws oqvl::Error naming the folder.
void ensure_writable_dir(const std::filesystem::path& dir);

// Writes `data` to `path` atomically (creates parent folders).
void write_file_atomic(const std::filesystem::path& path, std::string_view data);

// Creates `path` with `data` unless it exists; false (nothing written) if it does. Of several
// processes racing to create the same file exactly one wins, and none sees a partial file.
bool write_file_if_absent(const std::filesystem::path& path, std::string_view data);

// A read-only memory map of a whole file (empty files map to an empty span).
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  std::size_t size() const { return size_; }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// A file written under a temporary name and renamed into place by commit(). If destroyed
// without commit() (an exception, an early return) the temporary file is removed.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t size);
  void write(std::string_view data) { write(data.data(), data.size()); }
  std::uint64_t bytes_written() const { return written_; }
  // Flushes, fsyncs and renames the temporary file to the final path.
  void commit();
  // As commit(), but only if the final path does not exist (a hard link, which cannot
  // replace a file); false if it exists, and the temporary file is removed either way.
  bool commit_if_absent();
  const std::filesystem::path& path() const { return path_; }

 private:
  void close_temp();  // flush, fsync, close; throws (removing the temp file) on failure

  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  std::FILE* file_ = nullptr;
  std::uint64_t written_ = 0;
};

// A folder written as a whole: files go to a temporary sibling DIR.tmp-XXXXXX, which commit()
// renames to DIR. Without commit() (an exception) the temporary folder is deleted, so the output
// is either complete or absent. DIR must be absent or empty unless `overwrite` (then it is
// replaced at commit, the old contents deleted).
class AtomicDir {
 public:
  AtomicDir(std::filesystem::path dir, bool overwrite);
  ~AtomicDir();
  AtomicDir(const AtomicDir&) = delete;
  AtomicDir& operator=(const AtomicDir&) = delete;
  // oqvl::Error if `dir` exists and is a file, or is a non-empty folder and !overwrite.
  static void check_target(const std::filesystem::path& dir, bool overwrite);
  const std::filesystem::path& temp() const { return temp_; }
  void commit();

 private:
  std::filesystem::path dir_, temp_;
  bool overwrite_ = false;
  bool committed_ = false;
};

// Deletes a folder tree with fs::remove only (libtorch exports its own copy of
// fs::remove_all, which crashed torch-linked binaries). No error if it does not exist.
void remove_tree(const std::filesystem::path& dir);

}  // namespace oqvl
