// The run's metrics.jsonl (format: docs/formats.md "Training run folder"): one JSON object per
// line, appended and flushed as each is written, so a killed run keeps every finished line
// (`oqvl plot` reads it; a resumed run appends, and later lines of a step win). A line that
// cannot be written whole (a full disk) is cut off again and write() throws oqvl::Error.
#pragma once

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace oqvl::train {

class MetricsWriter {
 public:
  explicit MetricsWriter(const std::filesystem::path& file);  // appends; oqvl::Error if it cannot
  ~MetricsWriter();
  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;
  void write(const nlohmann::json& line);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace oqvl::train
