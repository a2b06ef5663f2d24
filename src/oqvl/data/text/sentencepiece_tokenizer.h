// SigLIP's text tokenizer: a SentencePiece model (spiece.model) driven the way Hugging Face
// transformers' SiglipTokenizer drives it, so ids equal HF's `tokenizer(texts,
// padding="max_length", truncation=True)` (transformers 5.23):
//
//   1. "▁" + text (with any "▁" in text turned into a space);
//   2. split out special tokens ("</s>", "<unk>", tokenizer_config extras), leftmost-longest;
//   3. each other segment is canonicalized (big_vision's rule): Python str.lower() when
//      do_lower_case, ASCII punctuation (string.punctuation) removed, whitespace runs -> " ",
//      trimmed; then SentencePiece-encoded as "<unk>" + segment with the pieces of "<unk>"
//      dropped again (HF's trick against the model's dummy-prefix handling);
//   4. a leading lone "▁" piece before a special token is dropped;
//   5. pieces -> ids, truncated to max_length - 1, "</s>" appended unless already last, padded
//      with the pad token ("</s>") on the right to max_length (64).
//
// Special/added tokens take their SentencePiece vocabulary ids (true of SigLIP's "</s>" and
// "<unk>"); added tokens outside the vocabulary, which HF would number after it, are not
// supported. The SentencePiece engine is Debian's libsentencepiece. Built without it, construction throws
// oqvl::Error ("built without sentencepiece"); sentencepiece_available() tells beforehand.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace oqvl::data {

bool sentencepiece_available();

struct SiglipTokenizerOptions {
  bool do_lower_case = true;
  int max_length = 64;  // model_max_length
  std::string eos_token = "</s>";
  std::string pad_token = "</s>";
  std::string unk_token = "<unk>";
  std::vector<std::string> extra_special_tokens;  // split out of the text like eos/unk
};

class SiglipTokenizer {
 public:
  // spiece.model + options.
  SiglipTokenizer(const std::filesystem::path& spiece_model, SiglipTokenizerOptions options);
  ~SiglipTokenizer();
  SiglipTokenizer(SiglipTokenizer&&) noexcept;
  SiglipTokenizer& operator=(SiglipTokenizer&&) noexcept;

  // A model folder: spiece.model plus tokenizer_config.json (optional; do_lower_case,
  // model_max_length, eos/pad/unk tokens, added_tokens_decoder and extra special tokens).
  static SiglipTokenizer from_folder(const std::filesystem::path& dir);

  // The text as HF canonicalizes one segment (lower-case, punctuation removed, spaces folded);
  // invalid UTF-8 is repaired first (U+FFFD), as in tokenize().
  std::string canonicalize(std::string_view text) const;
  // Steps 1-4: the pieces of `text` (valid UTF-8 required; invalid bytes are replaced).
  std::vector<std::string> tokenize(std::string_view text) const;
  // Ids with "</s>", truncated to max_length, not padded.
  std::vector<std::int32_t> encode(std::string_view text) const;
  // encode() padded to exactly max_length (what SigLIP's text tower is fed).
  std::vector<std::int32_t> encode_padded(std::string_view text) const;

  int vocab_size() const;
  std::int32_t eos_id() const { return eos_id_; }
  std::int32_t pad_id() const { return pad_id_; }
  const SiglipTokenizerOptions& options() const { return options_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  SiglipTokenizerOptions options_;
  std::vector<std::string> specials_;  // eos, unk, pad, extras: matched in the text
  std::int32_t eos_id_ = 1, pad_id_ = 1;
  std::size_t unk_pieces_ = 0;  // how many pieces "<unk>" encodes to
  std::int32_t piece_id(const std::string& piece) const;
};

}  // namespace oqvl::data
