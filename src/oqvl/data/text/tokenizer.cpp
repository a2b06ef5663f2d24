#include "oqvl/data/text/tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <unordered_map>

#include "oqvl/core/error.h"
#include "oqvl/core/json.h"
#include "oqvl/core/files.h"
#include "oqvl/core/thread_pool.h"
#include "oqvl/data/text/bpe.h"
#include "oqvl/data/text/pretokenizer.h"
#include "oqvl/data/text/tokenizer_json.h"
#include "oqvl/data/text/unicode.h"

namespace oqvl::data {

struct Tokenizer::Model {
  enum Kind : std::uint8_t { kHole, kVocab, kAdded, kSpecial };

  BytePairEncoder bpe;
  std::vector<std::string> id_bytes;  // what each id decodes to
  std::vector<Kind> kind;
  std::unordered_map<std::string, std::int32_t> token_ids;  // as written in tokenizer.json
  std::vector<AddedToken> added;                            // sorted by id
  // Added tokens by first byte, longest first: the first hit at a position is the
  // leftmost-longest match HF's Aho-Corasick finds.
  std::array<std::vector<std::uint32_t>, 256> added_by_first_byte;
  std::array<bool, 256> added_first_byte{};
};

namespace {

using nlohmann::json;

// Ids are indexes into per-id tables: a corrupt file must not make those huge.
constexpr std::int64_t kMaxId = 1 << 24;

std::string describe(const json& j) {
  std::string s = j.dump();
  return s.size() > 120 ? s.substr(0, 117) + "..." : s;
}

// The loader accepts exactly the pipeline HF runs for Qwen2; anything else would silently give
// different ids, so it is refused with what was found.
void check_pipeline(const json& root, std::string_view source) {
  const json& normalizer = root.value("normalizer", json());
  if (!normalizer.is_null() && normalizer.value("type", "") != "NFC")
    fail("{}: unsupported normalizer {} (only NFC is implemented)", source, describe(normalizer));

  const json& pre = root.value("pre_tokenizer", json());
  bool pre_ok = pre.is_object() && pre.value("type", "") == "Sequence" && pre.contains("pretokenizers") &&
                pre["pretokenizers"].size() == 2;
  if (pre_ok) {
    const json& split = pre["pretokenizers"][0];
    const json& byte_level = pre["pretokenizers"][1];
    pre_ok = split.value("type", "") == "Split" && split.contains("pattern") &&
             split["pattern"].value("Regex", "") == kQwen2SplitPattern &&
             split.value("behavior", "") == "Isolated" && !split.value("invert", false) &&
             byte_level.value("type", "") == "ByteLevel" && !byte_level.value("add_prefix_space", false) &&
             !byte_level.value("use_regex", true);
  }
  if (!pre_ok)
    fail("{}: unsupported pre_tokenizer {} (only Qwen2's Split regex + ByteLevel is implemented)", source,
         describe(pre));

  const json& decoder = root.value("decoder", json());
  if (!decoder.is_null() && decoder.value("type", "") != "ByteLevel")
    fail("{}: unsupported decoder {} (only ByteLevel is implemented)", source, describe(decoder));

  const json& model = root["model"];
  auto empty_or_null = [&](const char* key) {
    return !model.contains(key) || model[key].is_null() ||
           (model[key].is_string() && model[key].get<std::string>().empty());
  };
  if (!empty_or_null("dropout") || !empty_or_null("unk_token") ||
      !empty_or_null("continuing_subword_prefix") || !empty_or_null("end_of_word_suffix") ||
      model.value("byte_fallback", false) || model.value("ignore_merges", false))
    fail("{}: unsupported BPE options (dropout, unk_token, subword prefix/suffix, byte_fallback "
         "and ignore_merges must be unset)",
         source);
}

std::vector<AddedToken> read_added_tokens(const json& root, std::string_view source) {
  std::vector<AddedToken> added;
  if (!root.contains("added_tokens") || root["added_tokens"].is_null()) return added;
  for (const json& t : root["added_tokens"]) {
    if (t.value("lstrip", false) || t.value("rstrip", false) || t.value("single_word", false) ||
        t.value("normalized", false))
      fail("{}: added token {} uses lstrip/rstrip/single_word/normalized, which are not "
           "implemented",
           source, describe(t));
    added.push_back({json_integer<std::int32_t>(t.at("id"), fmt::format("{}: added token id", source)),
                     t.at("content").get<std::string>(), t.value("special", false)});
  }
  return added;
}

}  // namespace

Tokenizer Tokenizer::from_file(const std::filesystem::path& path, const AddedTokenOverrides& overrides) {
  if (!std::filesystem::exists(path))
    fail("tokenizer file {} does not exist (pass --tokenizer PATH to a tokenizer.json)", path.string());
  std::string text = read_file(path);
  return from_json(text, overrides, path.string());
}

Tokenizer Tokenizer::from_json(std::string_view text, const AddedTokenOverrides& overrides,
                               std::string_view source) {
  TokenizerJson file = read_tokenizer_json(text, source);
  const json& root = file.root;
  auto model = std::make_shared<Model>();
  try {
    if (!root.is_object() || !root.contains("model") || !root["model"].is_object())
      fail("{}: no \"model\" object (is this a Hugging Face tokenizer.json?)", source);
    const json& jm = root["model"];
    std::string type = jm.value("type", "");
    if (type != "BPE") fail("{}: unsupported model type \"{}\" (only BPE is implemented)", source, type);
    check_pipeline(root, source);

    if (!file.has_vocab || !file.has_merges) fail("{}: model.vocab or model.merges is missing", source);
    // Vocabulary.
    std::int32_t max_id = -1;
    model->token_ids.reserve(file.vocab.size() * 2);
    for (auto& [token, id] : file.vocab) {
      if (id < 0 || id >= kMaxId) fail("{}: bad id {} for token \"{}\"", source, id, token);
      model->token_ids.emplace(std::move(token), static_cast<std::int32_t>(id));
      max_id = std::max(max_id, static_cast<std::int32_t>(id));
    }
    model->id_bytes.resize(max_id + 1);
    model->kind.assign(max_id + 1, Model::kHole);
    std::string bytes;
    for (const auto& [token, id] : model->token_ids) {
      if (!byte_level_to_bytes(token, bytes)) bytes = token;  // HF's decoder falls back likewise
      model->id_bytes[id] = bytes;
      model->kind[id] = Model::kVocab;
    }
    std::int32_t byte_ids[256];
    for (int b = 0; b < 256; ++b) {
      auto it = model->token_ids.find(bytes_to_byte_level(std::string(1, static_cast<char>(b))));
      if (it == model->token_ids.end())
        fail("{}: the vocabulary lacks the token of byte 0x{:02X} (not a byte-level BPE?)", source, b);
      byte_ids[b] = it->second;
    }

    // Merges, in rank order.
    std::vector<BytePairEncoder::Merge> merges;
    merges.reserve(file.merges.size());
    auto id_of = [&](const std::string& token) {
      auto it = model->token_ids.find(token);
      if (it == model->token_ids.end())
        fail("{}: merge uses \"{}\", which is not in the vocabulary", source, token);
      return it->second;
    };
    for (const auto& [left, right] : file.merges)
      merges.push_back({id_of(left), id_of(right), id_of(left + right)});
    model->bpe = BytePairEncoder(byte_ids, merges);

    // Added tokens: the file's, then the project's overrides.
    std::vector<AddedToken> added = read_added_tokens(root, source);
    std::erase_if(added, [&](const AddedToken& t) {
      return std::find(overrides.remove.begin(), overrides.remove.end(), t.id) != overrides.remove.end();
    });
    for (const AddedToken& d : overrides.define) {
      std::erase_if(added, [&](const AddedToken& t) { return t.id == d.id; });
      added.push_back(d);
    }
    std::sort(added.begin(), added.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    for (std::size_t i = 0; i < added.size(); ++i) {
      const AddedToken& t = added[i];
      if (t.id < 0 || t.id >= kMaxId || t.content.empty() ||
          unicode::valid_utf8_prefix(t.content) != t.content.size())
        fail("{}: bad added token id {} \"{}\"", source, t.id, t.content);
      if (i > 0 && added[i - 1].id == t.id) fail("{}: two added tokens have id {}", source, t.id);
      if (t.id < static_cast<std::int32_t>(model->kind.size()) && model->kind[t.id] == Model::kVocab &&
          model->id_bytes[t.id] != t.content)
        fail("{}: added token \"{}\" reuses id {} of a vocabulary token", source, t.content, t.id);
      if (t.id >= static_cast<std::int32_t>(model->kind.size())) {
        model->id_bytes.resize(t.id + 1);
        model->kind.resize(t.id + 1, Model::kHole);
      }
      model->token_ids.insert_or_assign(t.content, t.id);
      for (std::size_t j = 0; j < i; ++j)
        if (added[j].content == t.content)
          fail("{}: added tokens {} and {} are both \"{}\"", source, added[j].id, t.id, t.content);
      model->id_bytes[t.id] = t.content;
      model->kind[t.id] = t.special ? Model::kSpecial : Model::kAdded;
      auto first = static_cast<unsigned char>(t.content[0]);
      model->added_by_first_byte[first].push_back(static_cast<std::uint32_t>(i));
      model->added_first_byte[first] = true;
    }
    for (auto& candidates : model->added_by_first_byte)
      std::stable_sort(candidates.begin(), candidates.end(), [&](std::uint32_t a, std::uint32_t b) {
        return added[a].content.size() > added[b].content.size();
      });
    model->added = std::move(added);
  } catch (const json::exception& e) {
    fail("{}: malformed tokenizer.json ({})", source, e.what());
  }
  return Tokenizer(std::move(model));
}

void Tokenizer::encode_segment(std::string_view text, std::vector<std::int32_t>& ids) const {
  if (text.empty()) return;
  thread_local std::string normalized;
  thread_local std::vector<std::string_view> pieces;
  if (!unicode::is_nfc_quick(text)) {
    normalized.clear();
    unicode::append_nfc(text, normalized);
    text = normalized;
  }
  pieces.clear();
  split_qwen2(text, pieces);
  for (std::string_view piece : pieces) model_->bpe.encode_word(piece, ids);
}

void Tokenizer::encode_append(std::string_view text, std::vector<std::int32_t>& ids) const {
  // The pre-tokenizer keeps 32-bit offsets.
  if (text.size() >= (std::size_t{1} << 32) - 4)
    fail("cannot tokenize a text of {} bytes (the limit is 4 GiB)", text.size());
  std::string repaired;
  if (unicode::valid_utf8_prefix(text) != text.size()) {
    repaired = unicode::repair_utf8(text);
    text = repaired;
  }
  const Model& m = *model_;
  std::size_t start = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    auto b = static_cast<unsigned char>(text[pos]);
    if (!m.added_first_byte[b]) {
      ++pos;
      continue;
    }
    const AddedToken* hit = nullptr;
    for (std::uint32_t index : m.added_by_first_byte[b]) {
      if (text.substr(pos).starts_with(m.added[index].content)) {
        hit = &m.added[index];
        break;
      }
    }
    if (!hit) {
      ++pos;
      continue;
    }
    encode_segment(text.substr(start, pos - start), ids);
    ids.push_back(hit->id);
    pos += hit->content.size();
    start = pos;
  }
  encode_segment(text.substr(start), ids);
}

std::vector<std::int32_t> Tokenizer::encode(std::string_view text) const {
  std::vector<std::int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  encode_append(text, ids);
  return ids;
}

std::vector<std::vector<std::int32_t>> Tokenizer::encode_batch(const std::vector<std::string>& texts,
                                                               int threads) const {
  ThreadPool pool(threads);
  return encode_batch(texts, pool);
}

std::vector<std::vector<std::int32_t>> Tokenizer::encode_batch(const std::vector<std::string>& texts,
                                                               ThreadPool& pool) const {
  std::vector<std::vector<std::int32_t>> out(texts.size());
  // Chunks of texts per work item: captions take microseconds, so handing them out one by one
  // would make the shared counter the bottleneck.
  constexpr std::size_t kChunk = 32;
  std::size_t chunks = (texts.size() + kChunk - 1) / kChunk;
  pool.parallel_for(chunks, [&](std::size_t c) {
    for (std::size_t i = c * kChunk; i < std::min(texts.size(), (c + 1) * kChunk); ++i)
      out[i] = encode(texts[i]);
  });
  return out;
}

std::string Tokenizer::decode(std::span<const std::int32_t> ids, bool skip_special, bool skip_unknown) const {
  const Model& m = *model_;
  std::string bytes;
  for (std::int32_t id : ids) {
    if (id < 0 || id >= static_cast<std::int32_t>(m.kind.size()) || m.kind[id] == Model::kHole) {
      if (skip_unknown) continue;
      fail("cannot decode token id {}: not in the vocabulary (size {})", id, m.kind.size());
    }
    if (skip_special && m.kind[id] == Model::kSpecial) continue;
    bytes += m.id_bytes[id];
  }
  if (unicode::valid_utf8_prefix(bytes) != bytes.size()) return unicode::repair_utf8(bytes);
  return bytes;
}

std::int32_t Tokenizer::token_to_id(std::string_view token) const {
  auto it = model_->token_ids.find(std::string(token));
  return it == model_->token_ids.end() ? kNoToken : it->second;
}

std::string Tokenizer::id_to_token(std::int32_t id) const {
  const Model& m = *model_;
  if (id < 0 || id >= static_cast<std::int32_t>(m.kind.size()) || m.kind[id] == Model::kHole)
    fail("token id {} is not in the vocabulary (size {})", id, m.kind.size());
  if (m.kind[id] == Model::kVocab) return bytes_to_byte_level(m.id_bytes[id]);
  return m.id_bytes[id];
}

std::int32_t Tokenizer::vocab_size() const { return static_cast<std::int32_t>(model_->kind.size()); }

bool Tokenizer::is_special(std::int32_t id) const {
  return id >= 0 && id < vocab_size() && model_->kind[id] == Model::kSpecial;
}

const std::vector<AddedToken>& Tokenizer::added_tokens() const { return model_->added; }

}  // namespace oqvl::data
