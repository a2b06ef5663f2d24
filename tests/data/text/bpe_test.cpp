// BPE merge order on a toy vocabulary, for both the short-word and the long-word (heap) path,
// and the byte-level character mapping.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oqvl/data/text/bpe.h"

namespace oqvl::data {
namespace {

// Bytes are their own ids; 'a'+'a' -> 256 (rank 0), 256+256 -> 257 (rank 1), 'b'+'a' -> 258.
BytePairEncoder toy_encoder() {
  std::int32_t byte_ids[256];
  for (int b = 0; b < 256; ++b) byte_ids[b] = b;
  return BytePairEncoder(byte_ids, {{'a', 'a', 256}, {256, 256, 257}, {'b', 'a', 258}});
}

std::vector<std::int32_t> encode(const BytePairEncoder& bpe, const std::string& word) {
  std::vector<std::int32_t> ids;
  bpe.encode_word_uncached(word, ids);
  return ids;
}

TEST(Bpe, LowestRankFirstLeftmostOnTies) {
  BytePairEncoder bpe = toy_encoder();
  EXPECT_EQ(encode(bpe, "aaa"), (std::vector<std::int32_t>{256, 'a'}));
  EXPECT_EQ(encode(bpe, "aaaaaa"), (std::vector<std::int32_t>{257, 256}));
  // 'a'+'a' outranks 'b'+'a': "baa" -> b, aa.
  EXPECT_EQ(encode(bpe, "baa"), (std::vector<std::int32_t>{'b', 256}));
  EXPECT_EQ(encode(bpe, "bab"), (std::vector<std::int32_t>{258, 'b'}));
  EXPECT_EQ(encode(bpe, "x"), (std::vector<std::int32_t>{'x'}));
  EXPECT_EQ(encode(bpe, ""), (std::vector<std::int32_t>{}));
}

TEST(Bpe, LongWordsMergeLikeShortOnes) {
  BytePairEncoder bpe = toy_encoder();
  // 130 'a's (heap path): 65 x 256, then pairs of those -> 32 x 257 + one 256.
  std::vector<std::int32_t> expected(32, 257);
  expected.push_back(256);
  EXPECT_EQ(encode(bpe, std::string(130, 'a')), expected);
  // Mixed: "baa" repeated keeps the short-path answer per repetition.
  std::string word;
  std::vector<std::int32_t> mixed;
  for (int i = 0; i < 100; ++i) {
    word += "baa";
    mixed.push_back('b');
    mixed.push_back(256);
  }
  EXPECT_EQ(encode(bpe, word), mixed);
}

TEST(Bpe, CachedEqualsUncached) {
  BytePairEncoder bpe = toy_encoder();
  for (const std::string& word :
       std::vector<std::string>{"aaaa", "baab", "aaaa", "bbbbbb", std::string(90, 'a')}) {
    std::vector<std::int32_t> cached;
    bpe.encode_word(word, cached);
    bpe.encode_word(word, cached);  // second time from the cache
    std::vector<std::int32_t> once = encode(bpe, word);
    std::vector<std::int32_t> twice = once;
    twice.insert(twice.end(), once.begin(), once.end());
    EXPECT_EQ(cached, twice) << word;
  }
}

TEST(Bpe, ByteLevelMapping) {
  EXPECT_EQ(bytes_to_byte_level(" a\n"), "ĠaĊ");
  std::string bytes;
  ASSERT_TRUE(byte_level_to_bytes("ĠaĊ", bytes));
  EXPECT_EQ(bytes, " a\n");
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  ASSERT_TRUE(byte_level_to_bytes(bytes_to_byte_level(all), bytes));
  EXPECT_EQ(bytes, all);
  EXPECT_FALSE(byte_level_to_bytes("日本", bytes));
}

}  // namespace
}  // namespace oqvl::data
