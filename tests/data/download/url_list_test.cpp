// URL lists: formats by extension, csv quoting, jsonl types, missing columns, gzip.
#include "oqvl/data/download/url_list.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"

namespace oqvl::data {
namespace {
namespace fs = std::filesystem;

class UrlListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("oqvl_url_list_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { remove_tree(dir_); }
  fs::path put(const std::string& name, const std::string& text) {
    write_file_atomic(dir_ / name, text);
    return dir_ / name;
  }
  fs::path dir_;
};

TEST_F(UrlListTest, Formats) {
  EXPECT_EQ(url_list_format("a/b.csv"), "csv");
  EXPECT_EQ(url_list_format("b.TSV.gz"), "tsv");
  EXPECT_EQ(url_list_format("b.jsonl.gz"), "jsonl");
  EXPECT_EQ(url_list_format("b.txt"), "txt");
  EXPECT_THROW(url_list_format("b.tar"), Error);
}

TEST_F(UrlListTest, CsvQuotingCaptionsAndExtras) {
  auto p = put("l.csv", "uid,url,caption\n7,http://a/x.jpg,\"a, \"\"b\"\"\nc\"\n8, http://a/y.jpg ,\n");
  UrlListOptions o;
  o.extra_cols = {"uid"};
  auto rows = read_url_list(p, o);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].url, "http://a/x.jpg");
  EXPECT_EQ(rows[0].caption, "a, \"b\"\nc");
  EXPECT_TRUE(rows[0].has_caption);
  EXPECT_EQ(rows[0].extra[0], "7");
  EXPECT_EQ(rows[1].url, "http://a/y.jpg");  // spaces around a URL are not part of it
  EXPECT_EQ(rows[1].caption, "");
}

TEST_F(UrlListTest, MissingColumns) {
  auto p = put("l.csv", "link,text\nhttp://a,b\n");
  UrlListOptions o;
  EXPECT_THROW(read_url_list(p, o), Error);  // no url column
  o.url_col = "link";
  auto rows = read_url_list(p, o);  // the default caption column may be absent
  EXPECT_FALSE(rows[0].has_caption);
  o.caption_col_required = true;
  EXPECT_THROW(read_url_list(p, o), Error);
  o.caption_col = "text";
  EXPECT_EQ(read_url_list(p, o)[0].caption, "b");
  o.extra_cols = {"nope"};
  EXPECT_THROW(read_url_list(p, o), Error);
  EXPECT_THROW(read_url_list(put("ragged.csv", "url\nhttp://a,b\n"), UrlListOptions{}), Error);
}

TEST_F(UrlListTest, JsonlKeepsTypes) {
  auto p = put("l.jsonl",
               "{\"url\": \"http://a\", \"caption\": \"c\", \"s\": 0.5}\n\n{\"url\": \"http://b\"}\n");
  UrlListOptions o;
  o.extra_cols = {"s"};
  auto rows = read_url_list(p, o);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].extra[0], 0.5);
  EXPECT_TRUE(rows[1].extra[0].is_null());
  EXPECT_FALSE(rows[1].has_caption);
  EXPECT_THROW(read_url_list(put("bad.jsonl", "{\"url\": 3}\n"), UrlListOptions{}), Error);
  EXPECT_THROW(read_url_list(put("bad2.jsonl", "not json\n"), UrlListOptions{}), Error);
}

TEST_F(UrlListTest, GzipTsvAndTxt) {
  std::string path = (dir_ / "l.tsv.gz").string();
  gzFile f = gzopen(path.c_str(), "wb");
  std::string text = "url\tcaption\nhttp://a\tone\nhttp://b\ttwo\n";
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
  auto rows = read_url_list(path, UrlListOptions{});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].caption, "two");
  auto txt = read_url_list(put("l.txt", "http://a\n\n  http://b  \n"), UrlListOptions{});
  ASSERT_EQ(txt.size(), 2u);
  EXPECT_EQ(txt[1].url, "http://b");
  EXPECT_THROW(read_url_list(dir_ / "missing.csv", UrlListOptions{}), Error);
}

}  // namespace
}  // namespace oqvl::data
