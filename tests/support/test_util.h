// Helpers shared by the GoogleTest binaries (tests/CMakeLists.txt puts tests/support on every test
// binary's include path): temporary folders, fixture files, the project's Python. No torch here;
// the tensor helpers are in torch_test_util.h.
#pragma once

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <sys/mount.h>
#include <unistd.h>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"

namespace oqvl::test {

// Folders are deleted with oqvl::remove_tree (core/files.h), never std::filesystem::remove_all:
// libtorch.so exports its own copy of it, which crashed torch-linked test binaries.
using oqvl::remove_tree;

// The message of the oqvl::Error that `fn` throws, or "(no error)" if it throws none.
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const oqvl::Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A fresh empty folder <system temp>/<prefix>_<pid>_<n>, deleted with its contents when the
// TempDir goes out of scope.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "oqvl_test") {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           (std::string(prefix) + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    remove_tree(path);  // left over from a crashed run with the same pid
    std::filesystem::create_directories(path);
  }
  ~TempDir() { remove_tree(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path operator/(const std::filesystem::path& name) const { return path / name; }

  // Writes `bytes` to path/name (making parent folders) and returns the file's path.
  std::filesystem::path write(const std::filesystem::path& name, std::string_view bytes) const {
    const auto file = path / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + file.string());
    return file;
  }

  std::filesystem::path path;
};

// A TempDir with a tmpfs of `bytes` mounted on it: a small disk that fills up (ENOSPC). Needs
// root (CAP_SYS_ADMIN); mounted() is false where mounting is not permitted (GTEST_SKIP then).
class SmallDisk {
 public:
  explicit SmallDisk(std::size_t bytes) : dir_("oqvl_small_disk") {
    const std::string options = "size=" + std::to_string(bytes);
    mounted_ = ::mount("tmpfs", dir_.path.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.path.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  bool mounted() const { return mounted_; }
  const std::filesystem::path& path() const { return dir_.path; }

 private:
  TempDir dir_;
  bool mounted_ = false;
};

// A whole file's bytes; throws std::runtime_error naming the file when it cannot be read.
inline std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

#ifdef OQVL_FIXTURES_DIR
// tests/fixtures/<relative>.
inline std::filesystem::path fixture_path(std::string_view relative) {
  return std::filesystem::path(OQVL_FIXTURES_DIR) / relative;
}
inline std::string read_fixture(std::string_view relative) { return read_bytes(fixture_path(relative)); }
inline nlohmann::json read_fixture_json(std::string_view relative) {
  return nlohmann::json::parse(read_fixture(relative));
}
#endif

#ifdef OQVL_SOURCE_DIR
// <repo>/<relative>, e.g. source_path("assets/qwen2-tokenizer/tokenizer.json").
inline std::filesystem::path source_path(std::string_view relative) {
  return std::filesystem::path(OQVL_SOURCE_DIR) / relative;
}
#endif

// The project's Python: $OQVL_PYTHON (ctest sets it to the configured one, by default the repo's
// .venv), else python3 from PATH.
inline std::string python() {
  const char* p = std::getenv("OQVL_PYTHON");
  return p && *p ? p : "python3";
}

}  // namespace oqvl::test
