#include "oqvl/data/download/url_list.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <string_view>

#include "oqvl/core/error.h"
#include "oqvl/core/json.h"
#include "oqvl/core/strings.h"
#include "oqvl/data/io/gzip_file.h"
#include "oqvl/data/io/parquet_table.h"
#include "oqvl/data/io/tsv.h"

namespace oqvl::data {
namespace fs = std::filesystem;
namespace {

int column_index(const std::vector<std::string>& header, const std::string& name) {
  auto it = std::find(header.begin(), header.end(), name);
  return it == header.end() ? -1 : static_cast<int>(it - header.begin());
}

std::vector<UrlRow> read_table(std::string_view text, char sep, const std::string& source,
                               const UrlListOptions& options) {
  std::vector<TsvRecord> records = parse_delimited(text, sep, source);
  if (records.empty())
    fail("{}: empty (a {} URL list needs a header row)", source, sep == ',' ? "CSV" : "TSV");
  const std::vector<std::string>& header = records[0].fields;
  int url = column_index(header, options.url_col);
  if (url < 0)
    fail("{}: no column '{}' (columns: {}; see --url-col)", source, options.url_col, fmt::join(header, ", "));
  int caption = options.caption_col.empty() ? -1 : column_index(header, options.caption_col);
  if (caption < 0 && options.caption_col_required) {
    fail("{}: no column '{}' (columns: {}; see --caption-col)", source, options.caption_col,
         fmt::join(header, ", "));
  }
  std::vector<int> extra;
  for (const auto& name : options.extra_cols) {
    int i = column_index(header, name);
    if (i < 0) fail("{}: no column '{}' (--save-additional-columns)", source, name);
    extra.push_back(i);
  }
  std::vector<UrlRow> rows;
  rows.reserve(records.size() - 1);
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& f = records[r].fields;
    if (f.size() != header.size()) {
      fail("{}: line {}: {} fields, the header has {}", source, records[r].line, f.size(), header.size());
    }
    UrlRow row;
    row.url = std::string(trim(f[url]));
    if (caption >= 0) {
      row.caption = f[caption];
      row.has_caption = true;
    }
    for (int i : extra) row.extra.emplace_back(f[i]);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<UrlRow> read_jsonl(std::string_view text, const std::string& source,
                               const UrlListOptions& options) {
  std::vector<UrlRow> rows;
  std::size_t line = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line;
    if (l.empty()) continue;
    // Extra columns are copied into the sample json: a deeply nested one would overflow the stack.
    if (!json_depth_within(l)) {
      fail("{}: line {}: JSON nested deeper than {} levels", source, line, kMaxJsonDepth);
    }
    nlohmann::json j = nlohmann::json::parse(l, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) fail("{}: line {}: not a JSON object", source, line);
    UrlRow row;
    auto u = j.find(options.url_col);
    if (u == j.end()) fail("{}: line {}: no key '{}' (see --url-col)", source, line, options.url_col);
    if (!u->is_string()) fail("{}: line {}: '{}' is not a string", source, line, options.url_col);
    row.url = std::string(trim(u->get_ref<const std::string&>()));
    if (!options.caption_col.empty()) {
      auto c = j.find(options.caption_col);
      if (c != j.end() && !c->is_null()) {
        if (!c->is_string()) fail("{}: line {}: '{}' is not a string", source, line, options.caption_col);
        row.caption = c->get<std::string>();
        row.has_caption = true;
      } else if (options.caption_col_required && c == j.end()) {
        fail("{}: line {}: no key '{}' (see --caption-col)", source, line, options.caption_col);
      }
    }
    for (const auto& name : options.extra_cols) {
      auto e = j.find(name);
      row.extra.push_back(e == j.end() ? nlohmann::json() : *e);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<UrlRow> read_parquet_list(const fs::path& path, const UrlListOptions& options) {
  std::vector<ParquetColumn> all = read_parquet(path);
  auto find = [&](const std::string& name) -> const ParquetColumn* {
    for (const auto& c : all) {
      if (c.name == name) return &c;
    }
    return nullptr;
  };
  auto names = [&] {
    std::string s;
    for (const auto& c : all) s += (s.empty() ? "" : ", ") + c.name;
    return s;
  };
  const ParquetColumn* url = find(options.url_col);
  if (!url) fail("{}: no column '{}' (columns: {}; see --url-col)", path.string(), options.url_col, names());
  if (url->type != ParquetColumn::Type::kString)
    fail("{}: column '{}' is not strings", path.string(), options.url_col);
  const ParquetColumn* caption = options.caption_col.empty() ? nullptr : find(options.caption_col);
  if (!caption && options.caption_col_required) {
    fail("{}: no column '{}' (columns: {}; see --caption-col)", path.string(), options.caption_col, names());
  }
  std::vector<const ParquetColumn*> extra;
  for (const auto& name : options.extra_cols) {
    const ParquetColumn* c = find(name);
    if (!c) fail("{}: no column '{}' (--save-additional-columns)", path.string(), name);
    extra.push_back(c);
  }
  std::vector<UrlRow> rows(url->size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].url = std::string(trim(url->text(i)));
    if (caption && caption->valid[i]) {
      rows[i].caption = caption->text(i);
      rows[i].has_caption = true;
    }
    for (const ParquetColumn* c : extra) rows[i].extra.push_back(c->json(i));
  }
  return rows;
}

std::vector<UrlRow> read_txt(std::string_view text, const UrlListOptions& options) {
  std::vector<UrlRow> rows;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (l.empty()) continue;
    UrlRow row;
    row.url = std::string(l);
    row.extra.resize(options.extra_cols.size());
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

std::string url_list_format(const fs::path& path) {
  std::string name = ascii_lower(path.filename().string());
  if (name.ends_with(".gz")) name.resize(name.size() - 3);
  for (const char* ext : {"txt", "csv", "tsv", "jsonl"}) {
    if (name.ends_with(std::string(".") + ext)) return ext;
  }
  if (name.ends_with(".json")) return "jsonl";
  if (name.ends_with(".parquet")) return "parquet";
  fail(
      "{}: unknown URL list format (use .txt, .csv, .tsv, .jsonl (optionally .gz), .parquet, or --input-format)",
      path.string());
}

std::vector<UrlRow> read_url_list(const fs::path& path, const UrlListOptions& options) {
  if (!fs::is_regular_file(path)) fail("URL list {} not found", path.string());
  std::string format = options.format == "auto" ? url_list_format(path) : options.format;
  if (format == "txt" && options.caption_col_required) {
    fail("{}: a txt URL list has no columns (--caption-col needs csv, tsv or jsonl)", path.string());
  }
  if (format == "txt" && !options.extra_cols.empty()) {
    fail("{}: a txt URL list has no columns (--save-additional-columns needs csv, tsv or jsonl)",
         path.string());
  }
  if (format == "parquet") return read_parquet_list(path, options);
  std::string text = read_gzip_file(path);
  const std::string source = path.string();
  if (format == "txt") return read_txt(text, options);
  if (format == "csv") return read_table(text, ',', source, options);
  if (format == "tsv") return read_table(text, '\t', source, options);
  if (format == "jsonl") return read_jsonl(text, source, options);
  fail("unknown --input-format '{}' (auto, txt, csv, tsv, jsonl, parquet)", format);
}

}  // namespace oqvl::data
