#include "oqvl/core/input_limits.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace {

using oqvl::input_limits;
using oqvl::set_input_limit;
using oqvl::test::error_of;

// The limits are process-wide: each test puts back what it changed.
struct Restore {
  oqvl::InputLimits saved = input_limits();
  ~Restore() {
    set_input_limit("image-side=" + std::to_string(saved.image_side));
    set_input_limit("image-pixels=" + std::to_string(saved.image_pixels));
    set_input_limit("pickle-depth=" + std::to_string(saved.pickle_depth));
    set_input_limit("safetensors-header-bytes=" + std::to_string(saved.safetensors_header_bytes));
  }
};

TEST(InputLimits, DefaultsAndKeys) {
  EXPECT_EQ(input_limits().image_side, 16384);
  EXPECT_EQ(input_limits().image_pixels, std::int64_t{1} << 28);
  EXPECT_EQ(input_limits().pickle_depth, 1000);
  EXPECT_EQ(input_limits().safetensors_header_bytes, std::int64_t{100} << 20);
  const auto keys = oqvl::input_limit_keys();
  EXPECT_NE(keys.find("image-side=16384, image-pixels=268435456, pickle-depth=1000"), std::string::npos)
      << keys;
}

TEST(InputLimits, SetParsesSuffixesAndRefusesBadValues) {
  Restore restore;
  set_input_limit("image-side=20000");
  EXPECT_EQ(input_limits().image_side, 20000);
  set_input_limit("image-pixels=1G");
  EXPECT_EQ(input_limits().image_pixels, std::int64_t{1} << 30);
  set_input_limit("safetensors-header-bytes=512M");
  EXPECT_EQ(input_limits().safetensors_header_bytes, std::int64_t{512} << 20);
  set_input_limit("pickle-depth=4K");
  EXPECT_EQ(input_limits().pickle_depth, 4096);

  EXPECT_NE(
      error_of([] { set_input_limit("image-sides=5"); }).find("unknown key 'image-sides' (keys: image-side="),
      std::string::npos);
  EXPECT_NE(error_of([] { set_input_limit("image-side"); }).find("expected KEY=VALUE"), std::string::npos);
  for (const char* bad : {"image-side=0", "image-side=-3", "image-side=1.5", "image-side=", "image-side=3X",
                          "image-side=4294967296", "pickle-depth=1000000", "image-pixels=9000000000G"}) {
    const auto e = error_of([&] { set_input_limit(bad); });
    EXPECT_NE(e.find("is not a whole number from 1 to"), std::string::npos) << bad << ": " << e;
  }
  EXPECT_EQ(input_limits().image_side, 20000);  // a refused value changes nothing
}

}  // namespace
