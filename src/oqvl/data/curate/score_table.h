// Score tables for filtering: per-sample numbers (CLIP score, MLM-Filter metrics, ...) keyed by
// the sample's key or uid, read from CSV (header row), JSONL (one object per line) or Parquet
// (DataComp's metadata; needs a build with Apache Arrow, data/io/parquet_table.h). FILE may also
// be a folder (every .csv/.jsonl/.parquet in it, sorted by name) or a glob / brace range of
// tables: they are read as one table (same columns required, a key in two files is an error).
//
// A table is named on the command line as `FILE[:key=COLUMN]`. The key column is matched
// against the sample's json "uid" when it is named "uid" (compared as 128-bit numbers, so hex
// case does not matter), else against the sample key (`__key__`). Without `:key=`, the column
// "uid" is used if the table has one, else "key".
//
// Every other column is a score column. Values are parsed as numbers; a value that is not a
// number (empty, "n/a", MLM-Filter's raw output that did not parse) is NaN, and a comparison
// with NaN is false — as the paper's filter drops scores that are not integers. A sample
// without a row in a table has NaN for every column of that table.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "oqvl/data/curate/uid_list.h"

namespace oqvl::data {

// `FILE[:key=COLUMN]` split up.
struct ScoreTableSpec {
  std::string path;
  std::string key_column;  // empty = "uid" if present, else "key"
};
ScoreTableSpec parse_score_table_spec(std::string_view spec);

struct Uid128Hash {
  std::size_t operator()(const Uid128& u) const { return u.hi ^ (u.lo * 0x9E3779B97F4A7C15ULL); }
};

class ScoreTable {
 public:
  // Reads a .csv, .jsonl/.json or .parquet file (by extension), or a folder / glob of them.
  // Throws oqvl::Error naming file and line for malformed input, a missing key column or a
  // duplicate key.
  static ScoreTable load(const ScoreTableSpec& spec);
  // Parses text already in memory; `format` is "csv" or "jsonl".
  static ScoreTable parse(std::string_view text, std::string_view format, const ScoreTableSpec& spec);

  const std::string& path() const { return path_; }
  const std::string& key_column() const { return key_column_; }
  bool keyed_by_uid() const { return by_uid_; }
  std::size_t rows() const { return rows_; }
  const std::vector<std::string>& columns() const { return columns_; }
  // Index of a score column, or -1.
  int column_index(std::string_view name) const;
  // The row of a sample, or -1 when the table has none.
  std::int64_t find_key(std::string_view key) const;
  std::int64_t find_uid(Uid128 uid) const;
  // Value of column `column` in row `row` (NaN when not a number).
  double value(std::int64_t row, int column) const { return values_[row * columns_.size() + column]; }

 private:
  static ScoreTable load_one(const ScoreTableSpec& spec);
  static ScoreTable from_parquet(const ScoreTableSpec& spec);
  // Sets key_column_ / by_uid_ from the spec (or the default) and the header; throws when absent.
  void choose_key(const std::vector<std::string>& header, const ScoreTableSpec& spec);
  void add_row(const std::string& key, std::vector<double> row_values, std::size_t line);
  void finish();

  std::string path_;
  std::string key_column_;
  bool by_uid_ = false;
  std::vector<std::string> columns_;  // score columns (the key column excluded)
  std::vector<double> values_;        // row-major
  std::size_t rows_ = 0;
  std::unordered_map<std::string, std::int64_t> by_key_;
  // uid-keyed tables are DataComp-sized (~100M rows): a sorted vector takes 24 bytes a row,
  // a hash map three times that. Sorted (and checked for duplicates) by finish().
  std::vector<std::pair<Uid128, std::int64_t>> by_uid_rows_;
};

// The table files a spec's path names: itself, or a folder's / glob's table files (sorted).
// Throws oqvl::Error when a folder has none or a glob matches nothing.
std::vector<std::string> score_table_files(const std::string& path);

// Splits one CSV record (RFC 4180 quoting: "a ""b""",c). `text` must hold exactly one line.
std::vector<std::string> split_csv_line(std::string_view line);

}  // namespace oqvl::data
