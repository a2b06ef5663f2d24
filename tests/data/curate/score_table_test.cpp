#include "oqvl/data/curate/score_table.h"

#include <cmath>

#include <gtest/gtest.h>

#include "oqvl/core/error.h"

namespace fs = std::filesystem;
using oqvl::data::parse_score_table_spec;
using oqvl::data::ScoreTable;

namespace {

const fs::path kDir = fs::path(OQVL_FIXTURES_DIR) / "filter";

TEST(ScoreTable, SpecParsing) {
  auto s = parse_score_table_spec("a/b.csv:key=uid");
  EXPECT_EQ(s.path, "a/b.csv");
  EXPECT_EQ(s.key_column, "uid");
  s = parse_score_table_spec("c:/x.jsonl");
  EXPECT_EQ(s.path, "c:/x.jsonl");
  EXPECT_EQ(s.key_column, "");
  EXPECT_THROW(parse_score_table_spec("x.csv:key="), oqvl::Error);
}

TEST(ScoreTable, CsvSplitsQuotedCells) {
  auto cells = oqvl::data::split_csv_line(R"(1,"a ""b"", c",,x)");
  ASSERT_EQ(cells.size(), 4u);
  EXPECT_EQ(cells[1], "a \"b\", c");
  EXPECT_EQ(cells[2], "");
}

TEST(ScoreTable, CsvByKeyAndByUid) {
  // The fixture has both key and uid columns; uid is the default key.
  ScoreTable by_uid = ScoreTable::load(parse_score_table_spec((kDir / "scores.csv").string()));
  EXPECT_TRUE(by_uid.keyed_by_uid());
  EXPECT_EQ(by_uid.rows(), 3u);
  ScoreTable by_key = ScoreTable::load(parse_score_table_spec((kDir / "scores.csv").string() + ":key=key"));
  EXPECT_FALSE(by_key.keyed_by_uid());
  int clip = by_key.column_index("clip_score");
  ASSERT_GE(clip, 0);
  EXPECT_DOUBLE_EQ(by_key.value(by_key.find_key("000001"), clip), 0.31);
  EXPECT_DOUBLE_EQ(by_key.value(by_key.find_key("000002"), clip), 0.12);
  EXPECT_TRUE(std::isnan(by_key.value(by_key.find_key("000003"), clip)));  // empty cell
  EXPECT_TRUE(std::isnan(by_key.value(by_key.find_key("000001"), by_key.column_index("caption"))));
  EXPECT_EQ(by_key.find_key("nope"), -1);
}

TEST(ScoreTable, JsonlUidsAnyCaseAndNonNumbers) {
  ScoreTable t = ScoreTable::load(parse_score_table_spec((kDir / "scores.jsonl").string()));
  ASSERT_TRUE(t.keyed_by_uid());
  EXPECT_EQ(t.rows(), 4u);
  int su = t.column_index("semantic_understanding");
  ASSERT_GE(su, 0);
  std::vector<double> got;
  for (const auto& uid : t.columns()) (void)uid;
  // Rows are in file order; the first uid was written upper-case.
  EXPECT_DOUBLE_EQ(t.value(0, su), 90);
  EXPECT_DOUBLE_EQ(t.value(1, su), 85);  // "85" as a string still counts
  EXPECT_TRUE(std::isnan(t.value(2, su)));
  EXPECT_TRUE(std::isnan(t.value(3, su)));  // missing field
}

TEST(ScoreTable, Errors) {
  using oqvl::data::ScoreTableSpec;
  EXPECT_THROW(ScoreTable::parse("a,b\n1,2\n", "csv", ScoreTableSpec{"t.csv", "uid"}), oqvl::Error);
  EXPECT_THROW(ScoreTable::parse("key,b\n1,2\n1,3\n", "csv", ScoreTableSpec{"t.csv", ""}), oqvl::Error);
  const std::string u = "0123456789abcdef0123456789abcdef";
  EXPECT_THROW(ScoreTable::parse("uid,b\n" + u + ",1\n" + u + ",2\n", "csv", ScoreTableSpec{"t.csv", ""}),
               oqvl::Error);
  EXPECT_THROW(ScoreTable::parse("key,b\n1,2,3\n", "csv", ScoreTableSpec{"t.csv", ""}), oqvl::Error);
  EXPECT_THROW(ScoreTable::parse("{\"uid\": \"xyz\"}\n", "jsonl", ScoreTableSpec{"t.jsonl", ""}),
               oqvl::Error);
  EXPECT_THROW(ScoreTable::parse("{not json\n", "jsonl", ScoreTableSpec{"t.jsonl", ""}), oqvl::Error);
  try {
    ScoreTable::parse("id,score\n1,2\n", "csv", ScoreTableSpec{"t.csv", ""});
    FAIL();
  } catch (const oqvl::Error& e) {
    EXPECT_NE(std::string(e.what()).find(":key=COLUMN"), std::string::npos) << e.what();
  }
}

}  // namespace
