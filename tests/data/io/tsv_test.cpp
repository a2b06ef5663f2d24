#include "oqvl/data/io/tsv.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/io/base64.h"

using oqvl::data::parse_tsv;

TEST(Tsv, SplitsRecordsAndKeepsEmptyFields) {
  auto r = parse_tsv("a\tb\tc\n1\t\t3\n\n4\t5\t\n", "t.tsv");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].fields, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"1", "", "3"}));
  EXPECT_EQ(r[2].fields, (std::vector<std::string>{"4", "5", ""}));
  EXPECT_EQ(r[0].line, 1);
  EXPECT_EQ(r[1].line, 2);
  EXPECT_EQ(r[2].line, 4);  // after the blank line
}

TEST(Tsv, QuotedFieldsHoldTabsNewlinesAndDoubledQuotes) {
  // As Python's csv (and so pandas) writes them.
  auto r = parse_tsv("x\ty\n\"say \"\"hi\"\"\"\t\"two\nlines\tand tab\"\nlast\tz\r\n", "q.tsv");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1].fields[0], "say \"hi\"");
  EXPECT_EQ(r[1].fields[1], "two\nlines\tand tab");
  EXPECT_EQ(r[1].line, 2);
  EXPECT_EQ(r[2].line, 4);         // the quoted line break moved the count
  EXPECT_EQ(r[2].fields[1], "z");  // "\r\n" line end
}

TEST(Tsv, QuotingRoundTripsLikePandas) {
  std::vector<std::string> fields = {"plain", "with \"quote\"", "tab\there", "new\nline", ""};
  std::string line = oqvl::data::tsv_line(fields);
  EXPECT_EQ(line, "plain\t\"with \"\"quote\"\"\"\t\"tab\there\"\t\"new\nline\"\t\n");
  auto r = parse_tsv(line, "rt");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].fields, fields);
}

TEST(Tsv, MalformedQuotesNameTheLine) {
  try {
    parse_tsv("a\tb\n1\t2\n3\t\"open\n", "bad.tsv");
    FAIL();
  } catch (const oqvl::Error& e) {
    EXPECT_STREQ(e.what(), "bad.tsv: line 3: unterminated quoted field");
  }
  EXPECT_THROW(parse_tsv("a\n\"x\"y\n", "bad2.tsv"), oqvl::Error);
}

TEST(Tsv, PandasMissingValueMarkers) {
  for (const char* na : {"", "nan", "NaN", "None", "NA", "null", "N/A", "<NA>"}) {
    EXPECT_TRUE(oqvl::data::is_pandas_na(na)) << na;
  }
  for (const char* text : {"0", "none", "Nan ", "no"}) EXPECT_FALSE(oqvl::data::is_pandas_na(text)) << text;
}

TEST(Base64, EncodesAndDecodesLikePython) {
  // base64.b64encode(b"..."), checked in Python.
  EXPECT_EQ(oqvl::data::base64_encode(""), "");
  EXPECT_EQ(oqvl::data::base64_encode("f"), "Zg==");
  EXPECT_EQ(oqvl::data::base64_encode("fo"), "Zm8=");
  EXPECT_EQ(oqvl::data::base64_encode("foo"), "Zm9v");
  EXPECT_EQ(oqvl::data::base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\x01\x80\xff"}) {
    auto d = oqvl::data::base64_decode(oqvl::data::base64_encode(s));
    ASSERT_TRUE(d) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(*oqvl::data::base64_decode("Zm9v\nYmFy"), "foobar");
  EXPECT_FALSE(oqvl::data::base64_decode("Zm9"));       // bad length
  EXPECT_FALSE(oqvl::data::base64_decode("Zm9v!"));     // bad character
  EXPECT_FALSE(oqvl::data::base64_decode("Zg==Zg=="));  // data after padding
  EXPECT_FALSE(oqvl::data::base64_decode("Z==="));
}

TEST(Tsv, MatchesPythonCsvOnAwkwardFields) {
  // tools/make_eval_fixtures.py: written and read back by Python's csv module.
  const std::filesystem::path dir = std::filesystem::path(OQVL_FIXTURES_DIR) / "eval";
  std::string text = oqvl::read_file(dir / "tsv_quoting.tsv");
  auto expected = nlohmann::json::parse(oqvl::read_file(dir / "tsv_quoting.json"));
  auto records = parse_tsv(text, "tsv_quoting.tsv");
  ASSERT_EQ(records.size(), expected.size());
  std::string rewritten;
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].fields, expected[i].get<std::vector<std::string>>()) << "record " << i;
    rewritten += oqvl::data::tsv_line(records[i].fields);
  }
  EXPECT_EQ(rewritten, text);  // the writer quotes exactly like csv/pandas
}

TEST(Tsv, LoneCarriageReturnEndsAnUnquotedRecord) {
  // What pandas' and Python's csv readers do with a bare "\r" (which csv writes unquoted).
  auto r = parse_tsv("a\tb\rc\td\n\"e\rf\"\tg\n", "cr.tsv");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].fields, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(r[2].fields, (std::vector<std::string>{"e\rf", "g"}));
  EXPECT_EQ(r[2].line, 2);
}
