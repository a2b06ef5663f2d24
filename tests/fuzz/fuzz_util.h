// Shared by the libFuzzer harnesses in this folder (docs/untrusted-input.md).
//
// The contract every harness checks: on any input bytes a parser either succeeds or throws
// oqvl::Error (bad input: the CLI prints one line and exits 2). Every other outcome is a bug
// libFuzzer reports: a crash, a sanitizer report, a hang (-timeout), an allocation beyond
// -rss_limit_mb / -malloc_limit_mb, or any other exception escaping (std::out_of_range, a
// nlohmann::json::exception, std::bad_alloc ...), which the CLI would call an internal error.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "oqvl/core/error.h"

namespace oqvl::fuzz {

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// This process's scratch folder ($TMPDIR, else /tmp), created once and removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::filesystem::path d = std::filesystem::path(tmp && *tmp ? tmp : "/tmp") /
                              ("oqvl-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return dir;
}

// Writes the input to `name` in the scratch folder (overwritten on every run) for the readers
// that take a path, and returns that path. The name's extension picks the format in several
// readers, so each harness chooses it.
inline std::filesystem::path input_file(std::string_view name, std::string_view bytes) {
  std::filesystem::path p = scratch_dir() / std::string(name);
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) std::abort();  // the harness itself is broken: not a finding about the parser
  return p;
}

// Runs `f`, accepting oqvl::Error as the promised answer to bad input. Any other exception
// escapes to libFuzzer, which reports it as a crash ("deadly signal" after std::terminate).
template <typename F>
void expect_ok_or_error(F&& f) {
  try {
    f();
  } catch (const oqvl::Error&) {
  }
}

}  // namespace oqvl::fuzz
