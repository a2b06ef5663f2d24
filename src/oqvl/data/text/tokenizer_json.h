// Reads a Hugging Face tokenizer.json in one streaming pass: the two big members
// (model.vocab, ~150k entries, and model.merges, ~150k pairs) go straight into flat vectors,
// everything else into a small nlohmann::json tree. About twice as fast as building the whole
// DOM, which dominated tokenizer loading.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oqvl::data {

struct TokenizerJson {
  nlohmann::json root;  // the file without model.vocab and model.merges (left as {} and [])
  std::vector<std::pair<std::string, std::int64_t>> vocab;  // in file order
  // Merges in rank order; the "a b" string form is split at its single space here.
  std::vector<std::pair<std::string, std::string>> merges;
  bool has_vocab = false, has_merges = false;
};

// Parses `text`; throws oqvl::Error naming `source` if it is not JSON or the vocab / merges
// have the wrong shape.
TokenizerJson read_tokenizer_json(std::string_view text, std::string_view source);

}  // namespace oqvl::data
