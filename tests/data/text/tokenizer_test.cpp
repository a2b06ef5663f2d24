// The tokenizer against Hugging Face `tokenizers` goldens (tools/make_tokenizer_goldens.py):
// every corpus text must give the same ids, decode must round-trip, invalid UTF-8 must encode
// like its U+FFFD repair, and bad tokenizer files must fail with a clear error.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "oqvl/core/error.h"
#include "oqvl/data/text/bpe.h"
#include "oqvl/data/text/pretokenizer.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "oqvl/data/text/tokenizer.h"
#include "test_util.h"

namespace oqvl::data {
namespace {

using nlohmann::json;

const std::string kTokenizerJson = std::string(OQVL_SOURCE_DIR) + "/assets/qwen2-tokenizer/tokenizer.json";
const std::string kGoldens = std::string(OQVL_FIXTURES_DIR) + "/tokenizer/";

const Tokenizer& qwen2vl() {
  static const Tokenizer tokenizer = load_qwen2vl_tokenizer(kTokenizerJson);
  return tokenizer;
}

// The rows of a golden JSONL file (the first line is a comment saying how it was made).
std::vector<json> read_jsonl(const std::string& name) {
  std::ifstream in(kGoldens + name);
  EXPECT_TRUE(in) << "missing " << kGoldens + name;
  std::vector<json> rows;
  std::string line;
  while (std::getline(in, line)) {
    json row = json::parse(line);
    if (!row.contains("_comment")) rows.push_back(std::move(row));
  }
  return rows;
}

std::string show(const std::vector<std::int32_t>& ids) { return json(ids).dump(); }

// normalizer, pre_tokenizer and decoder of Qwen2's tokenizer.json.
std::string qwen2_pipeline_json() {
  json root;
  root["normalizer"] = {{"type", "NFC"}};
  root["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers", json::array({{{"type", "Split"},
                                      {"pattern", {{"Regex", std::string(kQwen2SplitPattern)}}},
                                      {"behavior", "Isolated"},
                                      {"invert", false}},
                                     {{"type", "ByteLevel"},
                                      {"add_prefix_space", false},
                                      {"trim_offsets", false},
                                      {"use_regex", false}}})}};
  root["decoder"] = {{"type", "ByteLevel"}};
  root["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}};
  return root.dump();
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

TEST(Tokenizer, Qwen2VlLayout) {
  const Tokenizer& tok = qwen2vl();
  EXPECT_EQ(tok.vocab_size(), kQwen2VlVocabSize);
  EXPECT_EQ(tok.token_to_id("<|endofchunk|>"), kEndOfChunkId);
  EXPECT_EQ(tok.token_to_id("<s>"), kBosId);
  EXPECT_EQ(tok.token_to_id("<|im_end|>"), kImEndId);
  EXPECT_EQ(tok.token_to_id("<|endoftext|>"), kPadId);
  EXPECT_EQ(tok.token_to_id("<think>"), kNoToken);  // Qwen3-only, dropped
  EXPECT_EQ(tok.token_to_id("Ġthe"), 279);
  EXPECT_EQ(tok.id_to_token(279), "Ġthe");
  EXPECT_TRUE(tok.is_special(kBosId));
  EXPECT_FALSE(tok.is_special(151657));  // <tool_call> is added but not special
  EXPECT_EQ(tok.encode("<s><image>\nA cat<|im_end|>"),
            (std::vector<std::int32_t>{kBosId, 27, 1805, 397, 32, 8251, kImEndId}));
  EXPECT_EQ(tok.encode(""), std::vector<std::int32_t>{});
}

// A model's embedding has rows past the tokenizer's tokens (151936 vs 151666); HF tokenizers'
// decode leaves such ids out ("Hello" 151917 "," -> "Hello,"), which model outputs need.
TEST(Tokenizer, DecodeSkipsUnknownIdsOnlyWhenAsked) {
  const Tokenizer& tok = qwen2vl();
  const std::vector<std::int32_t> ids = {9707, 151917, 11, -5, kImEndId};
  EXPECT_EQ(tok.decode(ids, /*skip_special=*/true, /*skip_unknown=*/true), "Hello,");
  EXPECT_THROW(tok.decode(ids, true), Error);
}

TEST(Tokenizer, CorpusMatchesHuggingFace) {
  const Tokenizer& tok = qwen2vl();
  std::vector<json> rows = read_jsonl("corpus.jsonl");
  ASSERT_GE(rows.size(), 2000u);
  std::size_t mismatches = 0;
  for (const json& row : rows) {
    const auto& text = row["text"].get_ref<const std::string&>();
    auto expected = row["ids"].get<std::vector<std::int32_t>>();
    auto ids = tok.encode(text);
    if (ids != expected && ++mismatches <= 10)
      ADD_FAILURE() << "[" << row["category"].get<std::string>() << "] " << json(text).dump()
                    << "\n  ours: " << show(ids) << "\n  HF:   " << show(expected);
  }
  EXPECT_EQ(mismatches, 0u) << "of " << rows.size() << " texts";
}

TEST(Tokenizer, DecodeRoundTripsToNfc) {
  const Tokenizer& tok = qwen2vl();
  for (const json& row : read_jsonl("corpus.jsonl")) {
    std::string expected = row.value("nfc", row["text"].get<std::string>());
    ASSERT_EQ(tok.decode(tok.encode(row["text"].get<std::string>())), expected);
  }
}

TEST(Tokenizer, DecodeMatchesHuggingFace) {
  const Tokenizer& tok = qwen2vl();
  for (const json& row : read_jsonl("decode.jsonl")) {
    auto ids = row["ids"].get<std::vector<std::int32_t>>();
    EXPECT_EQ(tok.decode(ids), row["text"].get<std::string>()) << show(ids);
    EXPECT_EQ(tok.decode(ids, /*skip_special=*/true), row["skip_special"].get<std::string>()) << show(ids);
  }
}

TEST(Tokenizer, InvalidUtf8EncodesLikeItsRepair) {
  const Tokenizer& tok = qwen2vl();
  std::vector<json> rows = read_jsonl("invalid_utf8.jsonl");
  ASSERT_GE(rows.size(), 50u);
  for (const json& row : rows) {
    std::string bytes = from_hex(row["hex"].get<std::string>());
    EXPECT_EQ(tok.encode(bytes), row["ids"].get<std::vector<std::int32_t>>()) << row["hex"];
  }
  // A lone continuation byte decodes to U+FFFD: id 240 is the byte 0x80 ... 0xBF range token.
  std::string half = tok.decode(std::vector<std::int32_t>{tok.token_to_id("ð")});
  EXPECT_EQ(half, "\xEF\xBF\xBD");
}

TEST(Tokenizer, BatchEqualsSequential) {
  const Tokenizer& tok = qwen2vl();
  std::vector<std::string> texts;
  for (const json& row : read_jsonl("corpus.jsonl")) texts.push_back(row["text"].get<std::string>());
  auto batch = tok.encode_batch(texts, 4);
  ASSERT_EQ(batch.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) ASSERT_EQ(batch[i], tok.encode(texts[i])) << texts[i];
}

TEST(Tokenizer, DecodeRejectsUnknownIds) {
  const Tokenizer& tok = qwen2vl();
  EXPECT_THROW(tok.decode(std::vector<std::int32_t>{-1}), Error);
  EXPECT_THROW(tok.decode(std::vector<std::int32_t>{kQwen2VlVocabSize}), Error);
  EXPECT_THROW(tok.id_to_token(1 << 30), Error);
}

TEST(Tokenizer, OverridesDefineAndRemoveAddedTokens) {
  AddedTokenOverrides overrides;
  overrides.remove = {151667, 151668};
  overrides.define = {{151665, "<img>", false}};
  Tokenizer tok = Tokenizer::from_file(kTokenizerJson, overrides);
  EXPECT_EQ(tok.token_to_id("<img>"), 151665);
  EXPECT_EQ(tok.token_to_id("<tool_response>"), kNoToken);
  EXPECT_EQ(tok.token_to_id("</tool_response>"), 151666);  // kept from the file
  EXPECT_EQ(tok.vocab_size(), 151667);
  EXPECT_EQ(tok.decode(tok.encode("a<img>b"), true), "a<img>b");  // not special: kept
  // The packaged file as is: Qwen3's <think> tokens.
  Tokenizer plain = Tokenizer::from_file(kTokenizerJson);
  EXPECT_EQ(plain.token_to_id("<think>"), 151667);
  EXPECT_EQ(plain.vocab_size(), 151669);
}

using oqvl::test::error_of;
TEST(Tokenizer, BadFilesFailNamingTheFile) {
  oqvl::test::TempDir tmp("oqvl_tokenizer_test");
  const auto& dir = tmp.path;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  std::string missing = (dir / "missing.json").string();
  EXPECT_NE(error_of([&] { Tokenizer::from_file(missing); }).find(missing), std::string::npos);
  std::string not_json = write("not_json.json", "{\"model\": [1, 2");
  std::string e = error_of([&] { Tokenizer::from_file(not_json); });
  EXPECT_NE(e.find(not_json), std::string::npos) << e;
  EXPECT_NE(e.find("not a valid tokenizer.json"), std::string::npos) << e;
  std::string wordpiece = write("wordpiece.json", R"({"model": {"type": "WordPiece", "vocab": {}}})");
  e = error_of([&] { Tokenizer::from_file(wordpiece); });
  EXPECT_NE(e.find(wordpiece), std::string::npos) << e;
  EXPECT_NE(e.find("WordPiece"), std::string::npos) << e;
  std::string no_model = write("no_model.json", "[1, 2, 3]");
  EXPECT_NE(error_of([&] { Tokenizer::from_file(no_model); }).find("no \"model\""), std::string::npos);
}

// A tiny tokenizer.json with Qwen2's pipeline: the 256 byte tokens, then "ab" and "abc".
json tiny_tokenizer(bool string_merges) {
  json root = json::parse(qwen2_pipeline_json());
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[bytes_to_byte_level(std::string(1, static_cast<char>(b)))] = b;
  vocab["ab"] = 256;
  vocab["abc"] = 257;
  root["model"]["vocab"] = vocab;
  root["model"]["merges"] = string_merges ? json::array({"a b", "ab c"})
                                          : json::array({json::array({"a", "b"}), json::array({"ab", "c"})});
  root["added_tokens"] = json::array({{{"id", 258}, {"content", "<x>"}, {"special", true}}});
  return root;
}

TEST(Tokenizer, TinyFileInBothMergeFormats) {
  for (bool string_merges : {true, false}) {
    Tokenizer tok = Tokenizer::from_json(tiny_tokenizer(string_merges).dump());
    EXPECT_EQ(tok.encode("abc ab<x>"), (std::vector<std::int32_t>{257, ' ', 256, 258}));
    EXPECT_EQ(tok.vocab_size(), 259);
    EXPECT_EQ(tok.decode(tok.encode("abc ab<x>"), true), "abc ab");
  }
}

TEST(Tokenizer, MalformedVocabOrMergesFail) {
  json bad_vocab = tiny_tokenizer(true);
  bad_vocab["model"]["vocab"]["zz"] = "not an id";
  EXPECT_THROW(Tokenizer::from_json(bad_vocab.dump()), Error);
  json bad_merge = tiny_tokenizer(true);
  bad_merge["model"]["merges"].push_back("a b c");
  EXPECT_THROW(Tokenizer::from_json(bad_merge.dump()), Error);
  json unknown_merge = tiny_tokenizer(false);
  unknown_merge["model"]["merges"].push_back(json::array({"abc", "abc"}));
  EXPECT_THROW(Tokenizer::from_json(unknown_merge.dump()), Error);
  json no_merges = tiny_tokenizer(true);
  no_merges["model"].erase("merges");
  EXPECT_THROW(Tokenizer::from_json(no_merges.dump()), Error);
}

TEST(Tokenizer, RejectsPipelinesItDoesNotImplement) {
  std::string base = R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, )";
  EXPECT_THROW(Tokenizer::from_json(base + R"("normalizer": {"type": "NFKC"}})"), Error);
  EXPECT_THROW(Tokenizer::from_json(base + R"("normalizer": null, "pre_tokenizer": {"type": "Whitespace"}})"),
               Error);
}

}  // namespace
}  // namespace oqvl::data
