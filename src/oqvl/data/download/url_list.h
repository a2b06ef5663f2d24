// URL lists, the input of `oqvl data download`: the URL + caption (+ metadata) tables that
// CC3M/CC12M/SBU, DataComp and LAION ship, read as img2dataset reads them.
//
// Formats (by extension, `.gz` allowed on any; or forced with UrlListOptions::format):
//   txt    one URL per line (blank lines skipped), no caption
//   csv    header row, comma-separated, Python csv quoting ("a, ""b""")
//   tsv    header row, tab-separated, the same quoting
//   jsonl  one JSON object per line; column values may be any JSON (non-strings are kept as JSON
//          in the extra columns; a caption or URL must be a string)
//   parquet DataComp / LAION metadata (needs a build with Apache Arrow: parquet_table.h); extra
//          columns keep their types, a null caption is no caption
// Rows keep input order; an empty URL is kept (it fails to download, recorded, as img2dataset
// does) so row numbers and keys stay aligned with the input.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace oqvl::data {

struct UrlListOptions {
  std::string format = "auto";  // auto | txt | csv | tsv | jsonl
  std::string url_col = "url";
  std::string caption_col = "caption";  // empty: no caption
  // When false, a table without `caption_col` just has no captions (the default column name);
  // when true (the user named it) a missing column is an error.
  bool caption_col_required = false;
  std::vector<std::string> extra_cols;  // copied into each sample's json (must exist)
};

struct UrlRow {
  std::string url;
  std::string caption;
  bool has_caption = false;
  std::vector<nlohmann::json> extra;  // one value per UrlListOptions::extra_cols (null if absent)
};

// "txt", "csv", "tsv", "jsonl" or "parquet" from the file name (a trailing ".gz" ignored); throws
// oqvl::Error for an unknown extension (then --input-format is needed).
std::string url_list_format(const std::filesystem::path& path);

// Reads one list. Throws oqvl::Error naming the file (and line) for a missing file, a missing
// url/caption/extra column, a malformed line or a non-string URL.
std::vector<UrlRow> read_url_list(const std::filesystem::path& path, const UrlListOptions& options);

}  // namespace oqvl::data
