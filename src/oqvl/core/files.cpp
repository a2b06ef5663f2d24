#include "oqvl/core/files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "oqvl/core/error.h"

namespace oqvl {
namespace fs = std::filesystem;

namespace {

fs::path without_trailing_slash(fs::path p) {
  p = p.lexically_normal();
  if (!p.has_filename() && p.has_parent_path()) p = p.parent_path();
  return p;
}

// The umask, read without changing it (umask() can only be read by setting it, which would race
// with other threads creating files): Linux reports it in /proc/self/status; else 022.
mode_t process_umask() {
  static const mode_t mask = [] {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    unsigned value = 022;
    if (f) {
      char line[256];
      while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "Umask: %o", &value) == 1) break;
      std::fclose(f);
    }
    return static_cast<mode_t>(value & 0777);
  }();
  return mask;
}

// A fresh, unique sibling of `dir` named DIR<tag>XXXXXX.
fs::path make_temp_sibling(const fs::path& dir, const char* tag) {
  std::string pattern = dir.string() + tag + "XXXXXX";
  if (!mkdtemp(pattern.data()))
    fail("cannot create a temporary folder beside '{}': {}", dir.string(), std::strerror(errno));
  // mkdtemp makes it 0700, and the rename keeps that: give it the mode mkdir would (0777 less
  // the umask), so a shared run or model folder stays readable by the group as configured.
  chmod(pattern.c_str(), 0777 & ~process_umask());
  return pattern;
}

bool is_empty_dir(const fs::path& dir) { return fs::directory_iterator(dir) == fs::directory_iterator(); }

}  // namespace

bool path_exists(const fs::path& path) {
  std::error_code ec;
  const bool found = fs::exists(path, ec);
  if (ec) fail("cannot look up '{}': {}", path.string(), ec.message());
  return found;
}

std::string read_file(const fs::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail("cannot open '{}': {}", path.string(), std::strerror(errno));
  std::string out;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) fail("cannot read '{}'", path.string());
  return out;
}

void ensure_writable_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("cannot create the output folder {}: {}", dir.string(), ec.message());
  fs::path probe = dir / fmt::format(".oqvl-write-check-{}", ::getpid());
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f) fail("the output folder {} is not writable: {}", dir.string(), std::strerror(errno));
  std::fclose(f);
  fs::remove(probe, ec);
}

void write_file_atomic(const fs::path& path, std::string_view data) {
  AtomicFile file(path);
  file.write(data);
  file.commit();
}

bool write_file_if_absent(const fs::path& path, std::string_view data) {
  AtomicFile file(path);
  file.write(data);
  return file.commit_if_absent();
}

MappedFile::MappedFile(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open '{}': {}", path.string(), std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("cannot map '{}': not a regular file", path.string());
  }
  size_ = static_cast<std::size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      fail("cannot map '{}': {}", path.string(), std::strerror(errno));
    }
    data_ = static_cast<const std::uint8_t*>(p);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

AtomicFile::AtomicFile(fs::path path) : path_(std::move(path)) {
  static std::atomic<unsigned> counter{0};
  std::error_code ec;
  if (path_.has_parent_path()) fs::create_directories(path_.parent_path(), ec);
  if (ec) fail("cannot create folder '{}': {}", path_.parent_path().string(), ec.message());
  // The temporary name starts with '.' and ends with '.tmp' so shard globs never pick it up.
  temp_path_ = path_.parent_path() /
               fmt::format(".{}.{}-{}.tmp", path_.filename().string(), ::getpid(), counter++);
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (!file_) fail("cannot write '{}': {}", path_.string(), std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (file_) {
    std::fclose(file_);
    std::error_code ec;
    fs::remove(temp_path_, ec);
  }
}

void AtomicFile::write(const void* data, std::size_t size) {
  if (!file_) fail("write to '{}' after commit", path_.string());
  if (size > 0 && std::fwrite(data, 1, size, file_) != size) {
    fail("cannot write '{}': {}", path_.string(), std::strerror(errno));
  }
  written_ += size;
}

void AtomicFile::close_temp() {
  // The first failure's errno is the one reported (fclose after a failed flush may change it).
  int err = 0;
  if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) err = errno;
  if (std::fclose(file_) != 0 && err == 0) err = errno;
  file_ = nullptr;
  if (err != 0) {
    std::string why = std::strerror(err);
    std::error_code ec;
    fs::remove(temp_path_, ec);
    fail("cannot write '{}': {}", path_.string(), why);
  }
}

bool AtomicFile::commit_if_absent() {
  if (!file_) fail("'{}' committed twice", path_.string());
  close_temp();
  int rc = ::link(temp_path_.c_str(), path_.c_str());
  int err = errno;
  std::error_code ec;
  fs::remove(temp_path_, ec);
  if (rc == 0) return true;
  if (err == EEXIST) return false;
  fail("cannot create '{}': {}", path_.string(), std::strerror(err));
}

void AtomicFile::commit() {
  if (!file_) return;
  close_temp();
  std::error_code ec;
  fs::rename(temp_path_, path_, ec);
  if (ec) {
    std::string why = ec.message();
    fs::remove(temp_path_, ec);
    fail("cannot move '{}' into place: {}", path_.string(), why);
  }
}

void remove_tree(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir, ec))) return;
  if (fs::is_directory(fs::symlink_status(dir))) {
    std::vector<fs::path> children;
    for (const auto& entry : fs::directory_iterator(dir)) children.push_back(entry.path());
    for (const auto& child : children) remove_tree(child);
  }
  fs::remove(dir);
}

void AtomicDir::check_target(const fs::path& dir, bool overwrite) {
  if (fs::exists(dir)) {
    if (!fs::is_directory(dir)) fail("output '{}' exists and is not a folder", dir.string());
    if (!overwrite && !is_empty_dir(dir))
      fail("output folder '{}' exists and is not empty (pass --overwrite to replace it)", dir.string());
  }
}

AtomicDir::AtomicDir(fs::path dir, bool overwrite)
    : dir_(without_trailing_slash(std::move(dir))), overwrite_(overwrite) {
  check_target(dir_, overwrite_);
  if (dir_.has_parent_path()) fs::create_directories(dir_.parent_path());
  temp_ = make_temp_sibling(dir_, ".tmp-");
}

AtomicDir::~AtomicDir() {
  if (committed_) return;
  try {
    remove_tree(temp_);
  } catch (...) {
    // Best effort: an error is already propagating.
  }
}

void AtomicDir::commit() {
  fs::path old;
  if (fs::exists(dir_)) {
    if (!overwrite_ && !is_empty_dir(dir_))
      fail("output folder '{}' appeared while writing (not replaced)", dir_.string());
    old = make_temp_sibling(dir_, ".old-");
    fs::remove(old);
    fs::rename(dir_, old);
  }
  fs::rename(temp_, dir_);
  committed_ = true;
  if (!old.empty()) remove_tree(old);
}

}  // namespace oqvl
