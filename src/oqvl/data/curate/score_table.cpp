#include "oqvl/data/curate/score_table.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/io/parquet_table.h"
#include "oqvl/data/io/shard_list.h"

namespace oqvl::data {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double parse_number(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = kNaN;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return kNaN;
  return v;
}

double json_number(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return parse_number(v.get_ref<const std::string&>());
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  return kNaN;
}

bool is_table_file(const std::string& name) {
  for (const char* ext : {".csv", ".jsonl", ".json", ".parquet"}) {
    if (name.ends_with(ext)) return true;
  }
  return false;
}

std::string json_key(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

ScoreTableSpec parse_score_table_spec(std::string_view spec) {
  ScoreTableSpec out;
  std::size_t at = spec.rfind(":key=");
  if (at == std::string_view::npos) {
    out.path = spec;
  } else {
    out.path = spec.substr(0, at);
    out.key_column = spec.substr(at + 5);
    if (out.key_column.empty()) fail("--scores {}: empty column after ':key='", spec);
  }
  if (out.path.empty()) fail("--scores '{}': no file", spec);
  return out;
}

std::vector<std::string> split_csv_line(std::string_view line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else if (c != '\r') {
      cells.back() += c;
    }
  }
  return cells;
}

int ScoreTable::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::int64_t ScoreTable::find_key(std::string_view key) const {
  auto it = by_key_.find(std::string(key));
  return it == by_key_.end() ? -1 : it->second;
}

std::int64_t ScoreTable::find_uid(Uid128 uid) const {
  auto it = std::lower_bound(by_uid_rows_.begin(), by_uid_rows_.end(), uid,
                             [](const auto& row, const Uid128& u) { return row.first < u; });
  return it == by_uid_rows_.end() || it->first != uid ? -1 : it->second;
}

void ScoreTable::finish() {
  std::sort(by_uid_rows_.begin(), by_uid_rows_.end());
  for (std::size_t i = 1; i < by_uid_rows_.size(); ++i) {
    if (by_uid_rows_[i].first == by_uid_rows_[i - 1].first) {
      fail("{}: uid {} appears twice (rows {} and {})", path_, format_uid_hex(by_uid_rows_[i].first),
           by_uid_rows_[i - 1].second + 1, by_uid_rows_[i].second + 1);
    }
  }
}

void ScoreTable::add_row(const std::string& key, std::vector<double> row_values, std::size_t line) {
  auto row = static_cast<std::int64_t>(rows_);
  if (by_uid_) {
    auto uid = parse_uid_hex(key);
    if (!uid) fail("{}:{}: '{}' is not a 32-hex-digit uid", path_, line, key);
    by_uid_rows_.emplace_back(*uid, row);
  } else if (!by_key_.emplace(key, row).second) {
    fail("{}:{}: key '{}' appears twice", path_, line, key);
  }
  values_.insert(values_.end(), row_values.begin(), row_values.end());
  ++rows_;
}

std::vector<std::string> score_table_files(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(path)) {
      std::string name = e.path().filename().string();
      if (e.is_regular_file() && !name.starts_with(".") && is_table_file(name))
        files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) fail("score table folder {} has no .csv, .jsonl or .parquet files", path);
    return files;
  }
  if (path.find_first_of("*?[{") != std::string::npos) return expand_shard_specs({path});
  return {path};
}

ScoreTable ScoreTable::load_one(const ScoreTableSpec& spec) {
  std::string_view format;
  if (spec.path.ends_with(".csv")) {
    format = "csv";
  } else if (spec.path.ends_with(".jsonl") || spec.path.ends_with(".json")) {
    format = "jsonl";
  } else if (spec.path.ends_with(".parquet")) {
    return from_parquet(spec);
  } else {
    fail("score table {}: unknown format (use .csv with a header row, .jsonl or .parquet)", spec.path);
  }
  return parse(read_file(spec.path), format, spec);
}

ScoreTable ScoreTable::load(const ScoreTableSpec& spec) {
  std::vector<std::string> files = score_table_files(spec.path);
  if (files.size() == 1 && files[0] == spec.path) return load_one(spec);
  // A folder or glob of tables (the scorers write one per shard): one table, rows in file order.
  ScoreTable all;
  for (std::size_t f = 0; f < files.size(); ++f) {
    ScoreTable t = load_one(ScoreTableSpec{files[f], spec.key_column});
    if (f == 0) {
      all = std::move(t);
      continue;
    }
    if (t.key_column_ != all.key_column_ || t.columns_ != all.columns_) {
      fail("score tables {} and {} (both in {}) have different columns ({} vs {})", files[0], files[f],
           spec.path, fmt::join(all.columns_, ", "), fmt::join(t.columns_, ", "));
    }
    auto offset = static_cast<std::int64_t>(all.rows_);
    for (auto& [uid, row] : t.by_uid_rows_) all.by_uid_rows_.emplace_back(uid, row + offset);
    for (auto& [key, row] : t.by_key_) {
      if (!all.by_key_.emplace(key, row + offset).second)
        fail("{}: key '{}' is also in an earlier table of {}", files[f], key, spec.path);
    }
    all.values_.insert(all.values_.end(), t.values_.begin(), t.values_.end());
    all.rows_ += t.rows_;
  }
  all.path_ = spec.path;
  all.finish();  // sorts the uids of all files and finds duplicates across them
  return all;
}

ScoreTable ScoreTable::from_parquet(const ScoreTableSpec& spec) {
  std::vector<ParquetColumn> columns = read_parquet(spec.path);
  std::vector<std::string> header;
  for (const auto& c : columns) header.push_back(c.name);
  ScoreTable t;
  t.path_ = spec.path;
  t.choose_key(header, spec);
  const ParquetColumn* key = nullptr;
  std::vector<const ParquetColumn*> scores;
  for (const auto& c : columns) {
    if (c.name == t.key_column_) {
      key = &c;
    } else {
      t.columns_.push_back(c.name);
      scores.push_back(&c);
    }
  }
  for (std::size_t i = 0; i < key->size(); ++i) {
    if (!key->valid[i]) fail("{}: row {}: the key column '{}' is null", spec.path, i + 1, t.key_column_);
    std::vector<double> row;
    for (const ParquetColumn* c : scores) {
      bool text = c->type == ParquetColumn::Type::kString;
      row.push_back(text && c->valid[i] ? parse_number(c->strings[i]) : c->number(i));
    }
    t.add_row(key->text(i), std::move(row), i + 1);
  }
  t.finish();
  return t;
}

void ScoreTable::choose_key(const std::vector<std::string>& header, const ScoreTableSpec& spec) {
  auto has = [&](const std::string& c) { return std::find(header.begin(), header.end(), c) != header.end(); };
  key_column_ = spec.key_column.empty() ? (has("uid") ? "uid" : "key") : spec.key_column;
  if (!has(key_column_)) {
    fail("score table {} has no key column '{}' (columns: {}); name it with {}:key=COLUMN", spec.path,
         key_column_, fmt::join(header, ", "), spec.path);
  }
  by_uid_ = key_column_ == "uid";
}

ScoreTable ScoreTable::parse(std::string_view text, std::string_view format, const ScoreTableSpec& spec) {
  ScoreTable t;
  t.path_ = spec.path;
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  auto choose_key = [&](const std::vector<std::string>& header) { t.choose_key(header, spec); };

  if (format == "csv") {
    std::size_t first = 0;
    while (first < lines.size() && lines[first].find_first_not_of(" \r") == std::string_view::npos) ++first;
    if (first == lines.size()) fail("score table {} is empty (a CSV needs a header row)", spec.path);
    std::vector<std::string> header = split_csv_line(lines[first]);
    if (!header.empty() && header[0].starts_with("\xEF\xBB\xBF")) header[0].erase(0, 3);  // BOM
    choose_key(header);
    int key_at = -1;
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == t.key_column_) {
        key_at = static_cast<int>(i);
      } else {
        t.columns_.push_back(header[i]);
      }
    }
    for (std::size_t i = first + 1; i < lines.size(); ++i) {
      if (lines[i].find_first_not_of(" \r") == std::string_view::npos) continue;
      auto cells = split_csv_line(lines[i]);
      if (cells.size() != header.size()) {
        fail("{}:{}: {} cells, the header has {} (quoted newlines are not supported)", spec.path, i + 1,
             cells.size(), header.size());
      }
      std::vector<double> row;
      for (std::size_t c = 0; c < cells.size(); ++c) {
        if (static_cast<int>(c) != key_at) row.push_back(parse_number(cells[c]));
      }
      t.add_row(cells[key_at], std::move(row), i + 1);
    }
    t.finish();
    return t;
  }

  // JSONL: the columns are the union of the objects' keys in order of first appearance.
  std::vector<std::pair<std::size_t, nlohmann::json>> objects;
  std::vector<std::string> header;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find_first_not_of(" \r\t") == std::string_view::npos) continue;
    nlohmann::json obj;
    try {
      obj = nlohmann::json::parse(lines[i]);
    } catch (const nlohmann::json::exception& e) {
      fail("{}:{}: not JSON ({})", spec.path, i + 1, e.what());
    }
    if (!obj.is_object()) fail("{}:{}: a JSONL score table needs one object per line", spec.path, i + 1);
    for (const auto& [k, v] : obj.items()) {
      bool seen = false;
      for (const auto& h : header) seen = seen || h == k;
      if (!seen) header.push_back(k);
    }
    objects.emplace_back(i + 1, std::move(obj));
  }
  if (objects.empty()) fail("score table {} has no rows", spec.path);
  choose_key(header);
  for (const auto& h : header) {
    if (h != t.key_column_) t.columns_.push_back(h);
  }
  for (auto& [line, obj] : objects) {
    auto key = obj.find(t.key_column_);
    if (key == obj.end()) fail("{}:{}: no '{}' field", spec.path, line, t.key_column_);
    std::vector<double> row;
    for (const auto& c : t.columns_) {
      auto v = obj.find(c);
      row.push_back(v == obj.end() ? kNaN : json_number(*v));
    }
    t.add_row(json_key(*key), std::move(row), line);
  }
  t.finish();
  return t;
}

}  // namespace oqvl::data
