#include "oqvl/core/json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "oqvl/core/error.h"

namespace {

using nlohmann::json;

std::string error_of(const auto& call) {
  try {
    call();
  } catch (const oqvl::Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(JsonInteger, ReadsIntegersThatFit) {
  EXPECT_EQ(oqvl::json_integer<std::int32_t>(json::parse("151665"), "id"), 151665);
  EXPECT_EQ(oqvl::json_integer<std::int32_t>(json::parse("-200"), "id"), -200);
  EXPECT_EQ(oqvl::json_integer<std::uint64_t>(json::parse("18446744073709551615"), "n"), UINT64_MAX);
  EXPECT_EQ(oqvl::json_integer<std::int64_t>(json::parse("-9223372036854775808"), "n"), INT64_MIN);
}

// nlohmann's get<int>() on 1.5e25 is undefined behaviour (the tokenizer_json fuzz finding) and on
// 2^40 a silent truncation; both must be errors that name the value.
TEST(JsonInteger, RefusesFloatsOutOfRangeAndOtherTypes) {
  EXPECT_NE(error_of([] {
              oqvl::json_integer<int>(json::parse("1.5e25"), "added token id");
            }).find("added token id: expected an integer from -2147483648 to 2147483647, got 1.5e+25"),
            std::string::npos);
  EXPECT_NE(
      error_of([] { oqvl::json_integer<int>(json::parse("1099511627776"), "id"); }).find("got 1099511627776"),
      std::string::npos);
  EXPECT_NE(error_of([] { oqvl::json_integer<std::uint32_t>(json::parse("-1"), "n"); }).find("got -1"),
            std::string::npos);
  EXPECT_NE(error_of([] { oqvl::json_integer<int>(json::parse("2.0"), "n"); }).find("got 2.0"),
            std::string::npos);
  EXPECT_NE(error_of([] { oqvl::json_integer<int>(json::parse("\"7\""), "n"); }).find("got string"),
            std::string::npos);
}

TEST(JsonNumber, ReadsNumbersAndRefusesWhatTheTypeCannotHold) {
  EXPECT_FLOAT_EQ(oqvl::json_number<float>(json::parse("0.5"), "mean"), 0.5f);
  EXPECT_FLOAT_EQ(oqvl::json_number<float>(json::parse("3"), "mean"), 3.0f);
  EXPECT_DOUBLE_EQ(oqvl::json_number<double>(json::parse("1e300"), "x"), 1e300);
  EXPECT_NE(error_of([] {
              oqvl::json_number<float>(json::parse("1e300"), "image_mean");
            }).find("image_mean: 1e+300 is out of range"),
            std::string::npos);
  EXPECT_NE(error_of([] { oqvl::json_number<float>(json::parse("[1]"), "image_mean"); }).find("got array"),
            std::string::npos);
}

TEST(ReadOptional, IntegerOutOfRangeIsAnErrorNamingTheKey) {
  const json j = json::parse(R"({"layers": 4294967296, "heads": 12})");
  int layers = 1, heads = 1;
  oqvl::read_optional(j, "heads", heads, "config.json");
  EXPECT_EQ(heads, 12);
  EXPECT_NE(error_of([&] {
              oqvl::read_optional(j, "layers", layers, "config.json");
            }).find("config.json: 'layers': expected an integer"),
            std::string::npos);
  EXPECT_EQ(layers, 1);
}

}  // namespace
