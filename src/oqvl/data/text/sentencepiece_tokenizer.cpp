#include "oqvl/data/text/sentencepiece_tokenizer.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "oqvl/core/error.h"
#include "oqvl/core/json.h"
#include "oqvl/core/files.h"
#include "oqvl/data/text/python_str.h"
#include "oqvl/data/text/unicode.h"
#include "oqvl/data/text/unicode_lower.h"

#ifdef OQVL_HAVE_SENTENCEPIECE
#include <sentencepiece_processor.h>
#endif

namespace oqvl::data {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kUnderline = "\xE2\x96\x81";  // U+2581, SentencePiece's space

// string.punctuation: the ASCII punctuation HF's remove_punctuation deletes.
bool is_ascii_punctuation(char32_t cp) {
  return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
         (cp >= 0x7B && cp <= 0x7E);
}

[[maybe_unused]] std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    std::size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos)).append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace

#ifdef OQVL_HAVE_SENTENCEPIECE
bool sentencepiece_available() { return true; }
struct SiglipTokenizer::Impl {
  sentencepiece::SentencePieceProcessor sp;
};
#else
bool sentencepiece_available() { return false; }
struct SiglipTokenizer::Impl {};
#endif

SiglipTokenizer::SiglipTokenizer(const fs::path& spiece_model, SiglipTokenizerOptions options)
    : options_(std::move(options)) {
#ifdef OQVL_HAVE_SENTENCEPIECE
  if (options_.max_length < 1) fail("SigLIP tokenizer: max_length must be >= 1");
  impl_ = std::make_unique<Impl>();
  if (!fs::exists(spiece_model)) fail("SentencePiece model '{}' does not exist", spiece_model.string());
  auto status = impl_->sp.Load(spiece_model.string());
  if (!status.ok()) {
    fail("cannot load SentencePiece model '{}': {}", spiece_model.string(), status.ToString());
  }
  specials_ = {options_.eos_token, options_.unk_token, options_.pad_token};
  for (const auto& t : options_.extra_special_tokens) specials_.push_back(t);
  std::sort(specials_.begin(), specials_.end());
  specials_.erase(std::unique(specials_.begin(), specials_.end()), specials_.end());
  std::erase(specials_, std::string());
  eos_id_ = piece_id(options_.eos_token);
  pad_id_ = piece_id(options_.pad_token);
  std::vector<std::string> pieces;
  impl_->sp.Encode(options_.unk_token, &pieces).IgnoreError();
  unk_pieces_ = pieces.size();
#else
  fail("oqvl was built without sentencepiece (libsentencepiece-dev): cannot load '{}'",
       spiece_model.string());
#endif
}

SiglipTokenizer::~SiglipTokenizer() = default;
SiglipTokenizer::SiglipTokenizer(SiglipTokenizer&&) noexcept = default;
SiglipTokenizer& SiglipTokenizer::operator=(SiglipTokenizer&&) noexcept = default;

SiglipTokenizer SiglipTokenizer::from_folder(const fs::path& dir) {
  SiglipTokenizerOptions options;
  const fs::path config_path = dir / "tokenizer_config.json";
  if (fs::exists(config_path)) {
    try {
      const auto j = nlohmann::json::parse(read_file(config_path));
      auto token = [&](const char* key, std::string& out) {
        if (!j.contains(key) || j.at(key).is_null()) return;
        const auto& v = j.at(key);
        out = v.is_object() ? v.at("content").get<std::string>() : v.get<std::string>();
      };
      options.do_lower_case = j.value("do_lower_case", true);
      if (j.contains("model_max_length") && j.at("model_max_length").is_number_integer()) {
        options.max_length = json_integer<int>(j.at("model_max_length"),
                                               "tokenizer_config 'model_max_length'");
      }
      token("eos_token", options.eos_token);
      token("pad_token", options.pad_token);
      token("unk_token", options.unk_token);
      if (j.value("legacy", true) == false) {
        fail("tokenizer_config 'legacy': false is not supported (SiglipTokenizer checkpoints "
             "use the default legacy mode)");
      }
      for (const char* key : {"additional_special_tokens", "extra_special_tokens"}) {
        if (!j.contains(key) || !j.at(key).is_array()) continue;
        for (const auto& t : j.at(key)) {
          options.extra_special_tokens.push_back(t.is_object() ? t.at("content").get<std::string>()
                                                               : t.get<std::string>());
        }
      }
      if (j.contains("added_tokens_decoder")) {
        for (const auto& [id, t] : j.at("added_tokens_decoder").items()) {
          options.extra_special_tokens.push_back(t.at("content").get<std::string>());
        }
      }
    } catch (const nlohmann::json::exception& e) {
      fail("'{}': {}", config_path.string(), e.what());
    }
  }
  return SiglipTokenizer(dir / "spiece.model", std::move(options));
}

int SiglipTokenizer::vocab_size() const {
#ifdef OQVL_HAVE_SENTENCEPIECE
  return impl_->sp.GetPieceSize();
#else
  return 0;
#endif
}

std::int32_t SiglipTokenizer::piece_id(const std::string& piece) const {
#ifdef OQVL_HAVE_SENTENCEPIECE
  return impl_->sp.PieceToId(piece);
#else
  return 0;
#endif
}

std::string SiglipTokenizer::canonicalize(std::string_view text) const {
  // The UTF-8 walks below assume valid text (they read past the end of a truncated sequence):
  // repair it first, as tokenize() does (a no-op copy for text tokenize() already repaired).
  const std::string valid = unicode::repair_utf8(text);
  const std::string lowered = options_.do_lower_case ? unicode::python_lower(valid) : valid;
  std::string out;
  out.reserve(lowered.size());
  bool pending_space = false;  // a whitespace run seen and not yet written
  for (std::size_t pos = 0; pos < lowered.size();) {
    const std::size_t start = pos;
    const char32_t cp = unicode::next_code_point(lowered, pos);
    if (is_ascii_punctuation(cp)) continue;  // removed before whitespace folding, as HF does
    if (is_python_space(cp)) {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out.push_back(' ');  // leading run: trimmed
    pending_space = false;
    out.append(lowered, start, pos - start);
  }
  return out;  // a trailing run is trimmed
}

std::vector<std::string> SiglipTokenizer::tokenize(std::string_view raw) const {
  std::vector<std::string> tokens;
#ifdef OQVL_HAVE_SENTENCEPIECE
  const std::string valid = unicode::repair_utf8(raw);
  const std::string text = std::string(kUnderline) + replace_all(valid, kUnderline, " ");
  // Split out special tokens, leftmost and longest first (HF's added-token trie).
  std::vector<std::pair<std::string, bool>> segments;  // (text, is_special)
  std::size_t pos = 0, seg_start = 0;
  while (pos < text.size()) {
    const std::string* match = nullptr;
    for (const auto& s : specials_) {
      if (text.compare(pos, s.size(), s) == 0 && (!match || s.size() > match->size())) match = &s;
    }
    if (match) {
      if (pos > seg_start) segments.emplace_back(text.substr(seg_start, pos - seg_start), false);
      segments.emplace_back(*match, true);
      pos += match->size();
      seg_start = pos;
    } else {
      ++pos;
    }
  }
  if (seg_start < text.size()) segments.emplace_back(text.substr(seg_start), false);

  std::vector<std::string> pieces;
  for (const auto& [segment, special] : segments) {
    if (special) {
      tokens.push_back(segment);
      continue;
    }
    const std::string canonical = canonicalize(segment);
    impl_->sp.Encode(options_.unk_token + canonical, &pieces).IgnoreError();
    const std::size_t skip = pieces.size() >= unk_pieces_ ? unk_pieces_ : 0;
    tokens.insert(tokens.end(), pieces.begin() + static_cast<std::ptrdiff_t>(skip), pieces.end());
  }
  if (tokens.size() > 1 && tokens[0] == kUnderline &&
      std::binary_search(specials_.begin(), specials_.end(), tokens[1])) {
    tokens.erase(tokens.begin());
  }
#else
  fail("oqvl was built without sentencepiece: cannot tokenize");
#endif
  return tokens;
}

std::vector<std::int32_t> SiglipTokenizer::encode(std::string_view text) const {
  const auto pieces = tokenize(text);
  std::vector<std::int32_t> ids;
  ids.reserve(pieces.size() + 1);
  for (const auto& p : pieces) ids.push_back(piece_id(p));
  const auto limit = static_cast<std::size_t>(options_.max_length - 1);  // room for "</s>"
  if (ids.size() > limit) ids.resize(limit);
  if (ids.empty() || ids.back() != eos_id_) ids.push_back(eos_id_);
  return ids;
}

std::vector<std::int32_t> SiglipTokenizer::encode_padded(std::string_view text) const {
  auto ids = encode(text);
  ids.resize(static_cast<std::size_t>(options_.max_length), pad_id_);
  return ids;
}

}  // namespace oqvl::data
