#include "oqvl/data/curate/content_hash.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

using oqvl::data::content_hash64;

TEST(ContentHash, KnownValueOrFallbackProperties) {
  if (oqvl::data::content_hash_name() == "xxh3_64") {
    // xxHash's published XXH3-64 of the empty input (seed 0).
    EXPECT_EQ(content_hash64(""), 0x2D06800538D394C2ULL);
  } else {
    EXPECT_EQ(oqvl::data::content_hash_name(), "oqvl_fallback64");
  }
  // Every build: deterministic, and distinct for near-identical inputs of every tail length.
  std::set<std::uint64_t> seen;
  std::string s;
  for (int len = 0; len < 80; ++len) {
    EXPECT_EQ(content_hash64(s), content_hash64(std::string(s)));
    seen.insert(content_hash64(s));
    std::string flipped = s + "#";  // never a prefix of the next s (letters only)
    flipped.back() ^= 1;
    seen.insert(content_hash64(flipped));
    s += static_cast<char>('a' + len % 26);
  }
  EXPECT_EQ(seen.size(), 160u);
  EXPECT_NE(content_hash64(std::string(16, '\0')), content_hash64(std::string(17, '\0')));
}
