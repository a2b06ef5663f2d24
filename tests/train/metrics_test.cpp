#include "oqvl/train/metrics.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "oqvl/core/files.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;

// A disk that fills mid-line: write() fails naming the file, and the partial line is cut off,
// so metrics.jsonl keeps only whole lines (a resumed run appends after them).
TEST(MetricsWriter, FullDiskKeepsWholeLines) {
  oqvl::test::SmallDisk disk(64 * 1024);
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)";
  const fs::path file = disk.path() / "metrics.jsonl";
  oqvl::train::MetricsWriter metrics(file);
  const nlohmann::json line = {{"step", 1}, {"note", std::string(1000, 'n')}};
  std::string message = "(no error)";
  int written = 0;
  for (; written < 1000 && message == "(no error)"; ++written)
    message = oqvl::test::error_of([&] { metrics.write(line); });
  ASSERT_NE(message, "(no error)") << "64 KiB never filled";
  EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  const std::string text = oqvl::read_file(file);
  const std::string one = line.dump() + "\n";
  EXPECT_EQ(text.size() % one.size(), 0u);
  EXPECT_EQ(text.size() / one.size(), static_cast<std::size_t>(written - 1));
}

}  // namespace
