#include "oqvl/core/files.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "oqvl/core/error.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

using oqvl::test::TempDir;

TEST(AtomicFile, CommitMovesIntoPlace) {
  TempDir tmp("oqvl_files_test");
  const fs::path& dir = tmp.path;
  fs::path target = dir / "sub" / "out.bin";
  {
    oqvl::AtomicFile f(target);
    f.write("hello");
    EXPECT_FALSE(fs::exists(target));
    f.commit();
  }
  EXPECT_EQ(oqvl::read_file(target), "hello");
}

TEST(AtomicFile, AbandonedWriteLeavesNothing) {
  TempDir tmp("oqvl_files_test");
  const fs::path& dir = tmp.path;
  {
    oqvl::AtomicFile f(dir / "never.bin");
    f.write("partial");
  }
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(AtomicFile, UnwritableFolderIsAnError) {
  EXPECT_THROW(oqvl::AtomicFile("/proc/oqvl_no_such/x.bin"), oqvl::Error);
}

TEST(ReadFile, MissingFileNamesThePath) {
  try {
    oqvl::read_file("/nonexistent/oqvl.txt");
    FAIL() << "no exception";
  } catch (const oqvl::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/oqvl.txt"), std::string::npos);
  }
}

TEST(MappedFile, MapsContentAndEmptyFiles) {
  TempDir tmp("oqvl_files_test");
  const fs::path& dir = tmp.path;
  oqvl::write_file_atomic(dir / "a", "abc");
  oqvl::write_file_atomic(dir / "empty", "");
  oqvl::MappedFile a(dir / "a");
  EXPECT_EQ(a.view(), "abc");
  oqvl::MappedFile e(dir / "empty");
  EXPECT_EQ(e.size(), 0u);
}

}  // namespace
