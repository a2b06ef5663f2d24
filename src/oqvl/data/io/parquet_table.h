// Parquet tables (DataComp's metadata, score tables, download status tables) read and written
// through Apache Arrow's C++ library, as columns of plain std types so no Arrow header leaks
// out of this file's .cpp. Arrow comes from the pyarrow wheel (cmake/Dependencies.cmake) and is
// optional at build time: without it parquet_available() is false and read/write throw
// oqvl::Error saying so.
//
// Column types: strings (utf8, large_utf8, string_view; binary kept as bytes), integers (all
// widths; bool as 0/1), floating point (double, float, half); any other type (lists, structs,
// timestamps) is read as its Arrow text form. Nulls are kept (valid[i] == 0). Thread-safe (no
// shared state besides Arrow's memory pool, which is thread-safe).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace oqvl::data {

struct ParquetColumn {
  enum class Type { kString, kInt64, kDouble, kOther };
  std::string name;
  Type type = Type::kString;
  std::vector<std::string> strings;  // kString, kOther
  std::vector<std::int64_t> ints;    // kInt64
  std::vector<double> doubles;       // kDouble
  std::vector<std::uint8_t> valid;   // 1 = a value, 0 = null; one per row

  std::size_t size() const { return valid.size(); }
  // Row i as JSON: string, integer or number; null for a null.
  nlohmann::json json(std::size_t i) const;
  // Row i as a number: NaN for a null, a string or another type.
  double number(std::size_t i) const;
  // Row i as text: strings as they are, numbers as JSON writes them, "" for a null.
  std::string text(std::size_t i) const;
};

bool parquet_available();
// Throws oqvl::Error "<what>: this oqvl was built without Apache Arrow ..." unless
// parquet_available(): for commands that check before doing work whose output is Parquet.
void require_parquet(const std::string& what);

// JSON rows (objects) as typed columns, one per name. Without `types`: a column whose values are
// all integers (or null) is kInt64, all numbers kDouble, anything else kString (non-string values
// as their JSON text). With `types` (one per name) the columns have those types, whatever the
// values (so an empty or all-null table keeps its schema); a value that does not fit the type
// (a string in a kInt64 column) throws oqvl::Error naming the column. A name a row lacks, or maps
// to null, is a null. Pure: needs no Arrow.
std::vector<ParquetColumn> parquet_columns_from_json(const std::vector<nlohmann::json>& rows,
                                                     const std::vector<std::string>& names,
                                                     const std::vector<ParquetColumn::Type>& types = {});

// Reads the columns named in `columns` (all when empty), in that order. Throws oqvl::Error naming
// the file for a missing file, a file that is not Parquet, or a named column it lacks.
std::vector<ParquetColumn> read_parquet(const std::filesystem::path& path,
                                        const std::vector<std::string>& columns = {});

// Writes the columns (all the same length; kOther is written as strings) atomically (temp file +
// rename). Throws oqvl::Error for ragged columns or an unwritable path.
void write_parquet(const std::filesystem::path& path, const std::vector<ParquetColumn>& columns);

}  // namespace oqvl::data
