// Build-independent hashes: published FNV-1a vectors, and file fingerprints following content.
#include "oqvl/core/hash.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"

namespace oqvl {
namespace {
namespace fs = std::filesystem;

TEST(Fnv1a64, KnownValues) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
  static_assert(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
}

TEST(FileFingerprint, FollowsContent) {
  fs::path dir = fs::temp_directory_path() / ("oqvl_hash_test_" + std::to_string(::getpid()));
  write_file_atomic(dir / "a", "foobar");
  EXPECT_EQ(file_fingerprint(dir / "a"), "fnv1a64:85944171f73967e8");
  write_file_atomic(dir / "b", "");
  EXPECT_EQ(file_fingerprint(dir / "b"), "fnv1a64:cbf29ce484222325");
  write_file_atomic(dir / "a", "foobaR");
  EXPECT_NE(file_fingerprint(dir / "a"), "fnv1a64:85944171f73967e8");
  EXPECT_THROW(file_fingerprint(dir / "missing"), Error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace oqvl
