// Sample field lookup by webdataset-style extension lists ("jpg;png;jpeg;webp").
#include "oqvl/data/io/sample.h"

#include <gtest/gtest.h>

#include "oqvl/core/error.h"

namespace oqvl::data {
namespace {

TEST(Sample, FieldLookupByExtensionList) {
  Sample s;
  s.key = "k";
  s.add("txt", "hello");
  s.add("png", "P");
  s.add("jpg", "J");
  EXPECT_EQ(s.find(kImageExtensions)->bytes, "J");  // list order wins over field order
  EXPECT_EQ(s.find("webp;png")->bytes, "P");
  EXPECT_EQ(s.find("json"), nullptr);
  EXPECT_EQ(s.text(), "hello");
  EXPECT_THROW(s.text("json"), Error);
  EXPECT_EQ(s.payload_bytes(), 7u);
}

TEST(Sample, MissingFieldErrorNamesSampleAndShard) {
  Sample s;
  s.key = "000042";
  s.shard = "data/00001.tar";
  s.offset = 1536;
  s.add("jpg", "J");
  try {
    (void)s.text();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "sample '000042' (data/00001.tar @ byte 1536) has no field 'txt' (it has: jpg)");
  }
}

}  // namespace
}  // namespace oqvl::data
