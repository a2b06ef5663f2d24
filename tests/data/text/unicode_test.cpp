// UTF-8 repair (same replacement policy as Python's errors="replace") and NFC.
#include <gtest/gtest.h>

#include <string>

#include "oqvl/data/text/unicode.h"

namespace oqvl::data::unicode {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

std::string nfc(const std::string& s) {
  std::string out;
  append_nfc(s, out);
  return out;
}

TEST(Unicode, RepairReplacesMaximalInvalidSubparts) {
  EXPECT_EQ(repair_utf8("abc"), "abc");
  EXPECT_EQ(repair_utf8("\xFF"), kFffd);
  EXPECT_EQ(repair_utf8("\xE2\x82(x"), kFffd + "(x");                         // truncated 3-byte: one U+FFFD
  EXPECT_EQ(repair_utf8("\xED\xA0\x80"), kFffd + kFffd + kFffd);              // surrogate: byte by byte
  EXPECT_EQ(repair_utf8("\xF0\x9F\x99"), kFffd);                              // truncated at the end
  EXPECT_EQ(repair_utf8("\xC0\xAF"), kFffd + kFffd);                          // overlong
  EXPECT_EQ(repair_utf8("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // > U+10FFFF
  EXPECT_EQ(valid_utf8_prefix("ok\xFFno"), 2u);
  EXPECT_EQ(valid_utf8_prefix("\xF0\x9F\x99\x82"), 4u);
}

TEST(Unicode, Nfc) {
  EXPECT_EQ(nfc("e\u0301"), "\u00e9");
  EXPECT_EQ(nfc("\u212b"), "\u00c5");              // singleton
  EXPECT_EQ(nfc("a\u0302\u0323"), "\u1ead");       // reordered, then composed
  EXPECT_EQ(nfc("\u1100\u1161\u11a8"), "\uac01");  // Hangul LVT
  EXPECT_EQ(nfc("\ufb01"), "\ufb01");              // compatibility ligature stays
  EXPECT_EQ(nfc("\u0301e"), "\u0301e");            // no starter before the mark
  EXPECT_EQ(nfc("\u0958"), "\u0915\u093c");        // composition exclusion
  EXPECT_TRUE(is_nfc_quick("plain ascii"));
  EXPECT_FALSE(is_nfc_quick("e\u0301"));
}

TEST(Unicode, Classes) {
  EXPECT_EQ(char_class('a'), CharClass::kLetter);
  EXPECT_EQ(char_class(U'日'), CharClass::kLetter);
  EXPECT_EQ(char_class('7'), CharClass::kNumber);
  EXPECT_EQ(char_class(U'½'), CharClass::kNumber);
  EXPECT_EQ(char_class(0x3000), CharClass::kSpace);
  EXPECT_EQ(char_class(0x85), CharClass::kSpace);
  EXPECT_EQ(char_class(0x200B), CharClass::kOther);   // zero-width space is not \s
  EXPECT_EQ(char_class(0x1C89), CharClass::kLetter);  // Unicode 16: HF's engine has it
  EXPECT_EQ(char_class(0x301), CharClass::kOther);
  EXPECT_EQ(char_class(0x110000), CharClass::kOther);
}

}  // namespace
}  // namespace oqvl::data::unicode
