#include "oqvl/data/io/parquet_table.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"

#ifdef OQVL_HAVE_ARROW
#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/io/memory.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/exception.h>
#endif

namespace oqvl::data {
namespace fs = std::filesystem;

nlohmann::json ParquetColumn::json(std::size_t i) const {
  if (!valid[i]) return nullptr;
  switch (type) {
    case Type::kInt64: return ints[i];
    case Type::kDouble: return std::isfinite(doubles[i]) ? nlohmann::json(doubles[i]) : nlohmann::json();
    default: return strings[i];
  }
}

double ParquetColumn::number(std::size_t i) const {
  if (!valid[i]) return std::numeric_limits<double>::quiet_NaN();
  if (type == Type::kInt64) return static_cast<double>(ints[i]);
  if (type == Type::kDouble) return doubles[i];
  return std::numeric_limits<double>::quiet_NaN();
}

std::string ParquetColumn::text(std::size_t i) const {
  if (!valid[i]) return "";
  if (type == Type::kString || type == Type::kOther) return strings[i];
  return json(i).dump();
}

std::vector<ParquetColumn> parquet_columns_from_json(const std::vector<nlohmann::json>& rows,
                                                     const std::vector<std::string>& names,
                                                     const std::vector<ParquetColumn::Type>& types) {
  if (!types.empty() && types.size() != names.size())
    fail("parquet_columns_from_json: {} types for {} columns", types.size(), names.size());
  static const nlohmann::json kNull;
  auto value = [](const nlohmann::json& row, const std::string& name) -> const nlohmann::json& {
    auto it = row.find(name);
    return it == row.end() ? kNull : *it;
  };
  std::vector<ParquetColumn> out;
  for (std::size_t n = 0; n < names.size(); ++n) {
    const std::string& name = names[n];
    ParquetColumn c;
    c.name = name;
    bool ints = true, numbers = true;
    for (const auto& r : rows) {
      const auto& v = value(r, name);
      if (v.is_null()) continue;
      ints = ints && v.is_number_integer();
      numbers = numbers && v.is_number();
    }
    c.type = ints      ? ParquetColumn::Type::kInt64
             : numbers ? ParquetColumn::Type::kDouble
                       : ParquetColumn::Type::kString;
    if (!types.empty()) {
      const bool fits = types[n] == ParquetColumn::Type::kInt64    ? ints
                        : types[n] == ParquetColumn::Type::kDouble ? numbers
                                                                   : true;
      if (!fits)
        fail("column '{}': a value is not {}", name,
             types[n] == ParquetColumn::Type::kInt64 ? "an integer" : "a number");
      c.type = types[n];
    }
    for (const auto& r : rows) {
      const auto& v = value(r, name);
      c.valid.push_back(v.is_null() ? 0 : 1);
      if (c.type == ParquetColumn::Type::kInt64) {
        c.ints.push_back(v.is_null() ? 0 : v.get<std::int64_t>());
      } else if (c.type == ParquetColumn::Type::kDouble) {
        c.doubles.push_back(v.is_null() ? 0.0 : v.get<double>());
      } else {
        c.strings.push_back(v.is_null() ? "" : v.is_string() ? v.get<std::string>() : v.dump());
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

#ifndef OQVL_HAVE_ARROW

bool parquet_available() { return false; }

void require_parquet(const std::string& what) {
  fail("{}: this oqvl was built without Apache Arrow, so it cannot read or write Parquet (install "
       "pyarrow into the project's Python, scripts/setup.sh does, and rebuild)",
       what);
}

namespace {
[[noreturn]] void no_arrow(const fs::path& path) {
  require_parquet(path.string());
  std::abort();  // not reached: require_parquet throws in a build without Arrow
}
}  // namespace

std::vector<ParquetColumn> read_parquet(const fs::path& path, const std::vector<std::string>&) {
  no_arrow(path);
}
void write_parquet(const fs::path& path, const std::vector<ParquetColumn>&) { no_arrow(path); }

#else

namespace {

template <typename T>
T value_or_fail(arrow::Result<T> r, const fs::path& path, const char* what) {
  if (!r.ok()) fail("{}: {}: {}", path.string(), what, r.status().message());
  return std::move(r).ValueOrDie();
}

void check(const arrow::Status& s, const fs::path& path, const char* what) {
  if (!s.ok()) fail("{}: {}: {}", path.string(), what, s.message());
}

ParquetColumn::Type column_type(const arrow::DataType& t) {
  switch (t.id()) {
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::STRING_VIEW:
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY: return ParquetColumn::Type::kString;
    case arrow::Type::BOOL:
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
    case arrow::Type::UINT64: return ParquetColumn::Type::kInt64;
    case arrow::Type::HALF_FLOAT:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE: return ParquetColumn::Type::kDouble;
    default: return ParquetColumn::Type::kOther;
  }
}

void append_chunk(ParquetColumn& c, const std::shared_ptr<arrow::Array>& chunk) {
  const std::int64_t n = chunk->length();
  for (std::int64_t i = 0; i < n; ++i) c.valid.push_back(chunk->IsValid(i) ? 1 : 0);
  auto each = [&](auto&& put) {
    for (std::int64_t i = 0; i < n; ++i) put(i, chunk->IsValid(i));
  };
  switch (c.type) {
    case ParquetColumn::Type::kString:
      if (chunk->type_id() == arrow::Type::STRING || chunk->type_id() == arrow::Type::BINARY) {
        auto& a = static_cast<const arrow::BinaryArray&>(*chunk);
        each(
            [&](std::int64_t i, bool ok) { c.strings.emplace_back(ok ? a.GetView(i) : std::string_view()); });
      } else if (chunk->type_id() == arrow::Type::LARGE_STRING ||
                 chunk->type_id() == arrow::Type::LARGE_BINARY) {
        auto& a = static_cast<const arrow::LargeBinaryArray&>(*chunk);
        each(
            [&](std::int64_t i, bool ok) { c.strings.emplace_back(ok ? a.GetView(i) : std::string_view()); });
      } else {
        auto& a = static_cast<const arrow::StringViewArray&>(*chunk);
        each(
            [&](std::int64_t i, bool ok) { c.strings.emplace_back(ok ? a.GetView(i) : std::string_view()); });
      }
      break;
    case ParquetColumn::Type::kInt64:
    case ParquetColumn::Type::kDouble:
      // Every integer and floating type through Arrow's scalar conversion: simple, and these
      // tables are read once per command.
      each([&](std::int64_t i, bool ok) {
        if (!ok) {
          if (c.type == ParquetColumn::Type::kInt64) c.ints.push_back(0);
          else c.doubles.push_back(0);
          return;
        }
        auto scalar = chunk->GetScalar(i).ValueOrDie();
        auto target = c.type == ParquetColumn::Type::kInt64 ? arrow::int64() : arrow::float64();
        auto cast = scalar->CastTo(target).ValueOrDie();
        if (c.type == ParquetColumn::Type::kInt64) {
          c.ints.push_back(static_cast<const arrow::Int64Scalar&>(*cast).value);
        } else {
          c.doubles.push_back(static_cast<const arrow::DoubleScalar&>(*cast).value);
        }
      });
      break;
    case ParquetColumn::Type::kOther:
      each([&](std::int64_t i, bool ok) {
        c.strings.push_back(ok ? chunk->GetScalar(i).ValueOrDie()->ToString() : "");
      });
      break;
  }
}

}  // namespace

bool parquet_available() { return true; }
void require_parquet(const std::string&) {}

std::vector<ParquetColumn> read_parquet(const fs::path& path, const std::vector<std::string>& columns) {
  if (!fs::is_regular_file(path)) fail("Parquet file {} not found", path.string());
  std::shared_ptr<arrow::io::ReadableFile> file = value_or_fail(arrow::io::ReadableFile::Open(path.string()),
                                                                path, "cannot open");
  std::unique_ptr<parquet::arrow::FileReader> reader;
  try {
    reader = value_or_fail(parquet::arrow::OpenFile(file, arrow::default_memory_pool()), path,
                           "not a Parquet file");
  } catch (const parquet::ParquetException& e) {
    fail("{}: not a Parquet file ({})", path.string(), e.what());
  }
  std::shared_ptr<arrow::Table> table;
  try {
    table = value_or_fail(reader->ReadTable(), path, "cannot read");
  } catch (const parquet::ParquetException& e) {
    fail("{}: cannot read ({})", path.string(), e.what());
  }
  std::vector<int> picked;
  if (columns.empty()) {
    for (int i = 0; i < table->num_columns(); ++i) picked.push_back(i);
  } else {
    for (const auto& name : columns) {
      int i = table->schema()->GetFieldIndex(name);
      if (i < 0) {
        std::vector<std::string> names = table->schema()->field_names();
        std::string all;
        for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
        fail("{}: no column '{}' (columns: {})", path.string(), name, all);
      }
      picked.push_back(i);
    }
  }
  std::vector<ParquetColumn> out;
  for (int i : picked) {
    ParquetColumn c;
    c.name = table->schema()->field(i)->name();
    c.type = column_type(*table->schema()->field(i)->type());
    for (const auto& chunk : table->column(i)->chunks()) append_chunk(c, chunk);
    out.push_back(std::move(c));
  }
  return out;
}

void write_parquet(const fs::path& path, const std::vector<ParquetColumn>& columns) {
  std::vector<std::shared_ptr<arrow::Field> > fields;
  std::vector<std::shared_ptr<arrow::Array> > arrays;
  const std::size_t rows = columns.empty() ? 0 : columns[0].size();
  for (const auto& c : columns) {
    if (c.size() != rows)
      fail("{}: column '{}' has {} rows, '{}' has {}", path.string(), c.name, c.size(), columns[0].name,
           rows);
    std::shared_ptr<arrow::Array> array;
    if (c.type == ParquetColumn::Type::kInt64) {
      arrow::Int64Builder b;
      check(b.AppendValues(c.ints, std::vector<bool>(c.valid.begin(), c.valid.end())), path, "int64 column");
      check(b.Finish(&array), path, "int64 column");
      fields.push_back(arrow::field(c.name, arrow::int64()));
    } else if (c.type == ParquetColumn::Type::kDouble) {
      arrow::DoubleBuilder b;
      check(b.AppendValues(c.doubles, std::vector<bool>(c.valid.begin(), c.valid.end())), path,
            "double column");
      check(b.Finish(&array), path, "double column");
      fields.push_back(arrow::field(c.name, arrow::float64()));
    } else {
      arrow::StringBuilder b;
      for (std::size_t i = 0; i < rows; ++i) {
        check(c.valid[i] ? b.Append(c.strings[i]) : b.AppendNull(), path, "string column");
      }
      check(b.Finish(&array), path, "string column");
      fields.push_back(arrow::field(c.name, arrow::utf8()));
    }
    arrays.push_back(std::move(array));
  }
  auto table = arrow::Table::Make(arrow::schema(fields), arrays, static_cast<std::int64_t>(rows));
  // Into memory, then one atomic write: a reader never sees a half-written file.
  auto sink = value_or_fail(arrow::io::BufferOutputStream::Create(), path, "buffer");
  check(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), sink), path, "cannot write Parquet");
  auto buffer = value_or_fail(sink->Finish(), path, "buffer");
  write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(buffer->data()), buffer->size()));
}

#endif

}  // namespace oqvl::data
