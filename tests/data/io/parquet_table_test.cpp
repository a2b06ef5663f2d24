// Parquet through Arrow: what write_parquet writes, read_parquet reads back (types, nulls, column
// selection); errors for missing files/columns and non-Parquet bytes. Python's pyarrow reading
// and writing the same files is tests/cli/parquet.sh.
#include "oqvl/data/io/parquet_table.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"

namespace oqvl::data {
namespace {
namespace fs = std::filesystem;

TEST(ParquetTable, RoundTrip) {
  if (!parquet_available()) GTEST_SKIP() << "built without Apache Arrow";
  fs::path dir = fs::temp_directory_path() / ("oqvl_parquet_" + std::to_string(getpid()));
  fs::create_directories(dir);
  ParquetColumn key{"key", ParquetColumn::Type::kString, {"a", "", "c"}, {}, {}, {1, 0, 1}};
  ParquetColumn n{"n", ParquetColumn::Type::kInt64, {}, {1, -2, 3000000000}, {}, {1, 1, 1}};
  ParquetColumn x{"x", ParquetColumn::Type::kDouble, {}, {}, {0.5, 0, -1e300}, {1, 0, 1}};
  write_parquet(dir / "t.parquet", {key, n, x});
  auto all = read_parquet(dir / "t.parquet");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "key");
  EXPECT_EQ(all[0].type, ParquetColumn::Type::kString);
  EXPECT_EQ(all[0].text(0), "a");
  EXPECT_TRUE(all[0].json(1).is_null());
  EXPECT_EQ(all[1].ints, n.ints);
  EXPECT_EQ(all[1].json(2), 3000000000);
  EXPECT_EQ(all[2].number(0), 0.5);
  EXPECT_TRUE(std::isnan(all[2].number(1)));
  EXPECT_EQ(all[2].number(2), -1e300);
  auto picked = read_parquet(dir / "t.parquet", {"x", "key"});
  ASSERT_EQ(picked.size(), 2u);
  EXPECT_EQ(picked[0].name, "x");
  EXPECT_THROW(read_parquet(dir / "t.parquet", {"nope"}), Error);
  EXPECT_THROW(read_parquet(dir / "missing.parquet"), Error);
  write_file_atomic(dir / "bad.parquet", "not parquet at all");
  EXPECT_THROW(read_parquet(dir / "bad.parquet"), Error);
  ParquetColumn short_col{"s", ParquetColumn::Type::kInt64, {}, {1}, {}, {1}};
  EXPECT_THROW(write_parquet(dir / "r.parquet", {n, short_col}), Error);
  remove_tree(dir);
}

}  // namespace
}  // namespace oqvl::data
