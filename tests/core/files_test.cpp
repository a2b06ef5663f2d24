#include "oqvl/core/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

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

TEST(AtomicDir, CommittedFolderHasMkdirsMode) {
  // mkdtemp's 0700 must not survive the rename: a run or model folder gets 0777 less the umask.
  TempDir tmp("oqvl_files_test");
  const auto mask = ::umask(022);
  {
    oqvl::AtomicDir d(tmp.path / "out", /*overwrite=*/false);
    oqvl::AtomicFile f(d.temp() / "a.txt");
    f.write("x");
    f.commit();
    d.commit();
  }
  ::umask(mask);
  const auto perms = fs::status(tmp.path / "out").permissions();
  EXPECT_EQ(perms & fs::perms::all, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                        fs::perms::others_read | fs::perms::others_exec);
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

TEST(AtomicFile, CreateIfAbsentHasOneWinner) {
  TempDir tmp("oqvl_files_test");
  const fs::path dir = tmp.path;
  EXPECT_TRUE(oqvl::write_file_if_absent(dir / "claim", "first"));
  EXPECT_FALSE(oqvl::write_file_if_absent(dir / "claim", "second"));
  EXPECT_EQ(oqvl::read_file(dir / "claim"), "first");
  // Racing writers: exactly one creates the file, its content is whole, no temp file is left.
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      if (oqvl::write_file_if_absent(dir / "race", std::string(100000, static_cast<char>('a' + t)))) ++won;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  std::string got = oqvl::read_file(dir / "race");
  EXPECT_EQ(got.size(), 100000u);
  EXPECT_EQ(std::count(got.begin(), got.end(), got[0]), 100000);
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 2);
}

TEST(AtomicFile, UnwritableFolderIsAnError) {
  EXPECT_THROW(oqvl::AtomicFile("/proc/oqvl_no_such/x.bin"), oqvl::Error);
}

// A full disk: the error names the file and says why; the temporary file is gone and the final
// name was never created, for a write that fails mid-file and for one that fails at the flush.
TEST(AtomicFile, FullDiskLeavesNothingAndSaysWhy) {
  oqvl::test::SmallDisk disk(64 * 1024);
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)";
  const fs::path big = disk.path() / "big.bin";
  std::string message = oqvl::test::error_of([&] {
    oqvl::AtomicFile f(big);
    for (int i = 0; i < 100; ++i) f.write(std::string(4096, 'x'));
    f.commit();
  });
  EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
  EXPECT_NE(message.find(big.string()), std::string::npos) << message;
  EXPECT_TRUE(fs::is_empty(disk.path()));
  // Fills all but a little, then a write that fits stdio's buffer fails only at commit's flush.
  oqvl::write_file_atomic(disk.path() / "filler", std::string(63 * 1024, 'f'));
  message = oqvl::test::error_of(
      [&] { oqvl::write_file_atomic(disk.path() / "small.bin", std::string(3000, 's')); });
  EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(disk.path() / "small.bin"));
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(disk.path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST(ReadFile, MissingFileNamesThePath) {
  try {
    oqvl::read_file("/nonexistent/oqvl.txt");
    FAIL() << "no exception";
  } catch (const oqvl::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/oqvl.txt"), std::string::npos);
  }
}

// std::filesystem::exists throws std::filesystem_error for a name the OS cannot look up; paths
// built from input need an oqvl::Error instead (the conversations fuzz finding).
TEST(PathExists, NameTooLongIsAnOqvlError) {
  TempDir tmp("oqvl_files_test");
  EXPECT_TRUE(oqvl::path_exists(tmp.path));
  EXPECT_FALSE(oqvl::path_exists(tmp.path / "absent"));
  const fs::path long_name = tmp.path / std::string(5000, 'x');
  try {
    oqvl::path_exists(long_name);
    FAIL() << "no exception";
  } catch (const oqvl::Error& e) {
    EXPECT_NE(std::string(e.what()).find("File name too long"), std::string::npos) << e.what();
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
