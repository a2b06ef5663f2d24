// Reading a training run's metrics.jsonl (written by train/metrics.h; format in docs/report.md):
// one JSON object per line with a "kind" ("train" when absent). Train lines need a whole "step";
// their numbers may be null or absent (then NaN: a gap in the charts). Lines of other kinds
// ("eval", ...) keep their numeric fields per step, labelled by their string fields
// ("benchmark=mmbench"); such a line without a step is skipped and counted. Bare NaN / Infinity
// literals (Python's json writes them) read as null.
//
// Resumed runs append: when a step is not after the previous line's step of the same series, the
// earlier lines from that step on are dropped (the later run wins, including steps the later run
// logs at other intervals).
//
// Errors (oqvl::Error, "FILE:LINE: what"): an unreadable or missing file, a file without any
// metrics line, a line that is not a JSON object, a train line without a whole non-negative step,
// a train field that is neither a number nor null. One exception: an unterminated last line that
// does not parse is a line the trainer is still writing; it is ignored and counted.
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace oqvl::report {

struct TrainRow {
  std::int64_t step = 0;
  double loss, lr, grad_norm, tokens, tokens_per_s, images_per_s, data_wait, elapsed_s, epoch;
};

// Lines of one non-train kind with one label, in step order.
struct OtherRow {
  std::int64_t step = 0;
  std::map<std::string, double> values;  // numeric fields except "step"; null = NaN
};
struct OtherSeries {
  std::string kind, label;  // label: the line's string fields as "k=v k=v" ("" when none)
  std::vector<OtherRow> rows;
};

struct MetricsLog {
  std::vector<TrainRow> train;      // increasing steps
  std::vector<OtherSeries> others;  // by (kind, label)
  std::int64_t lines = 0;           // metrics lines read (blank lines not counted)
  std::int64_t restarts = 0;        // times the train steps went back (resumed runs)
  std::int64_t skipped = 0;         // lines of other kinds without a step
  bool partial_last_line = false;   // an unterminated, unparsable last line was ignored
};

// `text`: the file's contents; `name`: the file name errors cite.
MetricsLog parse_metrics_log(std::string_view text, std::string_view name);
MetricsLog read_metrics_log(const std::filesystem::path& file);

}  // namespace oqvl::report
