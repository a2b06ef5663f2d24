// The three SFT sample layouts and the errors for malformed samples.
#include "oqvl/data/sft/conversation_file.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace oqvl::data {
namespace {

using oqvl::test::error_of;
using oqvl::test::TempDir;

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

constexpr const char* kA =
    R"({"id": "a", "image": "x/a.jpg", "conversations": [{"from": "human", "value": "<image>\nQ?"}, {"from": "gpt", "value": "A"}]})";
constexpr const char* kB =
    R"({"conversations": [{"from": "human", "value": "text only, with ] and , and \" inside"}, {"from": "gpt", "value": "ok"}]})";

TEST(ConversationFile, ReadsAJsonArray) {
  TempDir dir;
  const auto file = dir.write("data.json", std::string("\xEF\xBB\xBF[\n ") + kA + ",\n  " + kB + "\n]\n");
  ConversationFile f(file);
  EXPECT_EQ(f.layout(), ConversationLayout::kJsonArray);
  ASSERT_EQ(f.size(), 2u);
  const auto a = f.at(0);
  EXPECT_EQ(a.id, "a");
  EXPECT_EQ(a.image, "x/a.jpg");
  ASSERT_EQ(a.turns.size(), 2u);
  EXPECT_EQ(a.turns[0].value, "<image>\nQ?");
  EXPECT_EQ(a.turns[1].from, Speaker::kGpt);
  const auto b = f.at(1);
  EXPECT_EQ(b.id, "1");  // no id: the index
  EXPECT_FALSE(b.image);
  EXPECT_EQ(b.turns[0].value, "text only, with ] and , and \" inside");
  EXPECT_EQ(f.where(1), file.string() + " element 1 (line 3)");
  EXPECT_EQ(ConversationFile(dir.write("empty.json", " [ ] ")).size(), 0u);
}

TEST(ConversationFile, ReadsJsonLinesSkippingBlankLines) {
  TempDir dir;
  const auto file = dir.write("data.jsonl", std::string(kA) + "\n\n  \n" + kB);
  ConversationFile f(file);
  EXPECT_EQ(f.layout(), ConversationLayout::kJsonLines);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f.at(1).turns[1].value, "ok");
  EXPECT_EQ(f.where(1), file.string() + " line 4");
}

TEST(ConversationFile, ReadsTheMammothIndexLazily) {
  TempDir dir;
  dir.write("split/instruction_si_split/a_jpg.json", kA);  // the reference's sub-folder
  dir.write("split/direct/b.json", kB);                    // or relative to the index
  const auto index = dir.write("split/index.jsonl", "{\"path\": \"a_jpg.json\", \"length\": 731}\n"
                                                    "{\"path\": \"direct/b.json\", \"length\": 9}\n"
                                                    "{\"path\": \"missing.json\", \"length\": 1}\n");
  ConversationFile f(index);
  EXPECT_EQ(f.layout(), ConversationLayout::kIndex);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f.at(0).id, "a");
  EXPECT_EQ(f.at(1).id, "direct/b.json");  // no id: the row's path
  const auto e = error_of([&] { f.at(2); });
  EXPECT_TRUE(contains(e, "index.jsonl line 3") && contains(e, "missing.json")) << e;
  // A sample file that changes after opening is read as it is now (nothing is cached).
  dir.write("split/direct/b.json", "{bad");
  const auto bad = error_of([&] { f.at(1); });
  EXPECT_TRUE(contains(bad, "b.json") && contains(bad, "index.jsonl line 2") && contains(bad, "bad JSON"))
      << bad;
}

TEST(ConversationFile, RejectsBadFiles) {
  TempDir dir;
  EXPECT_TRUE(contains(error_of([&] { ConversationFile f(dir / "none.jsonl"); }), "does not exist"));
  EXPECT_TRUE(contains(error_of([&] { ConversationFile f(dir.write("a.txt", "")); }), ".jsonl"));
  EXPECT_TRUE(contains(error_of([&] { ConversationFile f(dir.write("o.json", "{}")); }), "not a JSON array"));
  EXPECT_TRUE(contains(error_of([&] { ConversationFile f(dir.write("t.json", std::string("[") + kA)); }),
                       "truncated"));
  EXPECT_TRUE(
      contains(error_of([&] { ConversationFile f(dir.write("x.json", "[1] 2")); }), "after its JSON array"));
  const auto lines = dir.write("bad.jsonl", std::string(kA) + "\n{\"conversations\": [}\n");
  ConversationFile f(lines);  // the first row is fine; the second fails when read
  const auto e = error_of([&] { f.at(1); });
  EXPECT_TRUE(contains(e, "bad.jsonl line 2: bad JSON")) << e;
}

// Each malformed sample and the words its error must contain.
TEST(ConversationFile, RejectsMalformedSamples) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"([1])", "JSON object"},
      {R"({"id": "s"})", "sample 's' needs a non-empty 'conversations'"},
      {R"({"conversations": []})", "non-empty 'conversations'"},
      {R"({"conversations": [{"from": "user", "value": "x"}]})", "turn 0 is from 'user'"},
      {R"({"conversations": [{"from": "human"}]})", "turn 0 must be"},
      {R"({"conversations": [{"from": "gpt", "value": "x"}]})", "alternate"},
      {R"({"conversations": [{"from": "human", "value": "x"}, {"from": "human", "value": "y"}]})", "turn 1"},
      {R"({"image": "a.jpg", "conversations": [{"from": "human", "value": "no marker"}]})",
       "0 <image> markers"},
      {R"({"image": "a.jpg", "conversations": [{"from": "human", "value": "<image><image>"}]})",
       "2 <image> markers"},
      {R"({"conversations": [{"from": "human", "value": "<image> x"}]})", "but no 'image'"},
      {R"({"image": "a.jpg", "conversations": [{"from": "human", "value": "<image>"}, {"from": "gpt", "value": "<image>"}]})",
       "turn 1 (gpt)"},
      {R"({"image": ["a.jpg", "b.jpg"], "conversations": [{"from": "human", "value": "<image>"}]})",
       "several images"},
      {R"({"image": "", "conversations": [{"from": "human", "value": "x"}]})", "non-empty string"},
      {R"({"id": 2.5, "conversations": [{"from": "human", "value": "x"}]})", "'id' must be"},
  };
  for (const auto& [sample, words] : cases) {
    const std::string text = sample;  // clang 14 cannot capture a structured binding
    const auto e = error_of([&] { parse_conversation(nlohmann::json::parse(text), "7"); });
    EXPECT_TRUE(contains(e, words)) << sample << " -> " << e;
  }
  // Accepted: a trailing human turn, an integer id, a null image.
  const auto ok = parse_conversation(
      nlohmann::json::parse(
          R"({"id": 12, "image": null, "conversations": [{"from": "human", "value": "x"}]})"),
      "7");
  EXPECT_EQ(ok.id, "12");
  EXPECT_FALSE(ok.image);
}

}  // namespace
}  // namespace oqvl::data
