#include "oqvl/core/files.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "oqvl/core/error.h"

namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  fs::path dir = fs::temp_directory_path() / ("oqvl_files_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

TEST(AtomicFile, CommitMovesIntoPlace) {
  fs::path dir = temp_dir();
  fs::path target = dir / "sub" / "out.bin";
  {
    oqvl::AtomicFile f(target);
    f.write("hello");
    EXPECT_FALSE(fs::exists(target));
    f.commit();
  }
  EXPECT_EQ(oqvl::read_file(target), "hello");
  fs::remove_all(dir);
}

TEST(AtomicFile, AbandonedWriteLeavesNothing) {
  fs::path dir = temp_dir();
  {
    oqvl::AtomicFile f(dir / "never.bin");
    f.write("partial");
  }
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);
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
  fs::path dir = temp_dir();
  oqvl::write_file_atomic(dir / "a", "abc");
  oqvl::write_file_atomic(dir / "empty", "");
  oqvl::MappedFile a(dir / "a");
  EXPECT_EQ(a.view(), "abc");
  oqvl::MappedFile e(dir / "empty");
  EXPECT_EQ(e.size(), 0u);
  fs::remove_all(dir);
}

}  // namespace
