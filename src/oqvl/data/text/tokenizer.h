// A Hugging Face `tokenizer.json` byte-level BPE tokenizer (the Qwen2 / Qwen2.5 family):
// added tokens are matched on the raw text first, each stretch between them is NFC-normalized,
// split by the Qwen2 pre-tokenizer regex and BPE-encoded. Ids match HF `tokenizers` exactly
// (tests/fixtures/tokenizer/ holds the goldens).
//
// Invalid UTF-8 input is defined behaviour: each maximal invalid subsequence is replaced by
// U+FFFD before anything else (as Rust's String::from_utf8_lossy and Python's
// bytes.decode("utf-8", "replace") do), so it encodes like the repaired text. decode() repairs
// its output the same way (a token can end in the middle of a UTF-8 sequence).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oqvl {
class ThreadPool;
}

namespace oqvl::data {

// A token matched verbatim in the raw text before normalization and BPE.
struct AddedToken {
  std::int32_t id = 0;
  std::string content;
  bool special = true;  // special tokens are dropped by decode(..., skip_special = true)
};

// How a project changes the added tokens of a tokenizer.json: first `remove` drops ids, then
// each of `define` adds a token or replaces the one with the same id.
struct AddedTokenOverrides {
  std::vector<AddedToken> define;
  std::vector<std::int32_t> remove;
};

inline constexpr std::int32_t kNoToken = -1;

class Tokenizer {
 public:
  // Loads a tokenizer.json; throws oqvl::Error naming the file if it is missing, not JSON, or
  // uses a feature this implementation does not have (it accepts BPE with NFC, the Qwen2 Split
  // regex + ByteLevel pre-tokenizer and the ByteLevel decoder).
  static Tokenizer from_file(const std::filesystem::path& path, const AddedTokenOverrides& overrides = {});
  // The same from the file's text; `source` names it in errors.
  static Tokenizer from_json(std::string_view json, const AddedTokenOverrides& overrides = {},
                             std::string_view source = "tokenizer.json");

  // Token ids of `text` (no BOS/EOS is added: Qwen2's post-processor adds none). Thread-safe.
  std::vector<std::int32_t> encode(std::string_view text) const;
  // Appends the ids of `text` to `ids` (saves an allocation per text in hot loops).
  void encode_append(std::string_view text, std::vector<std::int32_t>& ids) const;
  // encode() of each text on `threads` threads (0 = all cores); results in input order. Starts
  // a new pool (whose threads start with empty word caches): loops should keep a ThreadPool
  // and use the overload below.
  std::vector<std::vector<std::int32_t>> encode_batch(const std::vector<std::string>& texts,
                                                      int threads = 0) const;
  // The same on an existing pool.
  std::vector<std::vector<std::int32_t>> encode_batch(const std::vector<std::string>& texts,
                                                      ThreadPool& pool) const;

  // The text of `ids` (special tokens dropped if skip_special); throws oqvl::Error on an id
  // outside [0, vocab_size()) or in a hole of the vocabulary.
  // skip_unknown: ids outside the vocabulary (a model's embedding has more rows than the
  // tokenizer has tokens) are left out, as Hugging Face tokenizers' decode does; otherwise they
  // are an oqvl::Error.
  std::string decode(std::span<const std::int32_t> ids, bool skip_special = false,
                     bool skip_unknown = false) const;

  // Id of a token written as in tokenizer.json ("Ġthe", or an added token's content), or
  // kNoToken.
  std::int32_t token_to_id(std::string_view token) const;
  // The token of `id` as written in tokenizer.json; throws oqvl::Error if there is none.
  std::string id_to_token(std::int32_t id) const;
  // One more than the largest id (BPE vocabulary and added tokens).
  std::int32_t vocab_size() const;
  bool is_special(std::int32_t id) const;
  const std::vector<AddedToken>& added_tokens() const;

 private:
  struct Model;
  explicit Tokenizer(std::shared_ptr<const Model> model) : model_(std::move(model)) {}
  void encode_segment(std::string_view text, std::vector<std::int32_t>& ids) const;

  std::shared_ptr<const Model> model_;  // immutable after loading; copies share it
};

}  // namespace oqvl::data
