#include "oqvl/data/text/tokenizer_json.h"

#include "oqvl/core/error.h"

namespace oqvl::data {
namespace {

using nlohmann::json;

// SAX handler: forwards every event to nlohmann's DOM builder except inside model.vocab and
// model.merges, which it collects itself.
class Reader {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit Reader(TokenizerJson& out) : out_(out), dom_(out.root, true) {}

  bool null() { return mode_ == kDom ? dom_.null() : bad_value("null"); }
  bool boolean(bool v) { return mode_ == kDom ? dom_.boolean(v) : bad_value("a boolean"); }
  bool number_float(number_float_t v, const string_t& s) {
    return mode_ == kDom ? dom_.number_float(v, s) : bad_value("a float");
  }
  bool binary(binary_t& v) { return mode_ == kDom ? dom_.binary(v) : bad_value("binary"); }
  bool number_integer(number_integer_t v) {
    if (mode_ == kVocab) return vocab_id(v);
    return mode_ == kDom ? dom_.number_integer(v) : bad_value("a number");
  }
  bool number_unsigned(number_unsigned_t v) {
    if (mode_ == kVocab) return vocab_id(static_cast<std::int64_t>(v));
    return mode_ == kDom ? dom_.number_unsigned(v) : bad_value("a number");
  }
  bool string(string_t& s) {
    if (mode_ == kDom) return dom_.string(s);
    if (mode_ == kVocab) return bad_value("a string");
    if (merge_depth_ == 1) {  // "a b"
      std::size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        return error("merge \"" + s + "\" is not two tokens separated by one space");
      out_.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
      return true;
    }
    if (merge_depth_ == 2) {  // ["a", "b"]
      if (pair_size_ >= 2) return error("a merge has more than two tokens");
      pair_[pair_size_++] = std::move(s);
      return true;
    }
    return bad_value("a string");
  }
  bool key(string_t& k) {
    if (mode_ == kVocab) {
      vocab_key_ = std::move(k);
      return true;
    }
    if (mode_ == kMerges) return bad_value("an object");
    key_ = k;
    return dom_.key(k);
  }
  bool start_object(std::size_t n) {
    if (mode_ != kDom) return bad_value("an object");
    if (in_model() && key_ == "vocab") {
      mode_ = kVocab;
      out_.has_vocab = true;
      return dom_.start_object(0);
    }
    path_.push_back(key_);
    return dom_.start_object(n);
  }
  bool end_object() {
    if (mode_ == kVocab) mode_ = kDom;
    else path_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    if (mode_ == kVocab) return bad_value("an array");
    if (mode_ == kMerges) {
      if (merge_depth_ != 1) return error("merges nest deeper than [[\"a\", \"b\"], ...]");
      merge_depth_ = 2;
      pair_size_ = 0;
      return true;
    }
    if (in_model() && key_ == "merges") {
      mode_ = kMerges;
      merge_depth_ = 1;
      out_.has_merges = true;
      return dom_.start_array(0);
    }
    path_.push_back("[]");
    key_.clear();  // array elements have no key
    return dom_.start_array(n);
  }
  bool end_array() {
    if (mode_ == kMerges) {
      if (merge_depth_ == 2) {
        if (pair_size_ != 2) return error("a merge is not a pair of tokens");
        out_.merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
        merge_depth_ = 1;
        return true;
      }
      mode_ = kDom;
      merge_depth_ = 0;
      return dom_.end_array();
    }
    path_.pop_back();
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& token, const nlohmann::detail::exception& e) {
    error_ = e.what();
    return false;
  }

  const std::string& error_message() const { return error_; }

 private:
  enum Mode { kDom, kVocab, kMerges };

  // Directly inside the top-level "model" object.
  bool in_model() const { return path_.size() == 2 && path_[1] == "model"; }
  bool vocab_id(std::int64_t id) {
    out_.vocab.emplace_back(std::move(vocab_key_), id);
    return true;
  }
  bool bad_value(const char* what) {
    return error(std::string(mode_ == kVocab ? "model.vocab" : "model.merges") + " holds " + what +
                 " where a token id or merge was expected");
  }
  bool error(std::string message) {
    error_ = std::move(message);
    return false;
  }

  TokenizerJson& out_;
  nlohmann::detail::json_sax_dom_parser<json> dom_;
  Mode mode_ = kDom;
  std::vector<std::string> path_;  // key of each open container ("" for the root)
  std::string key_;                // last key seen in the innermost open object
  std::string vocab_key_;
  int merge_depth_ = 0;
  std::string pair_[2];
  int pair_size_ = 0;
  std::string error_;
};

}  // namespace

TokenizerJson read_tokenizer_json(std::string_view text, std::string_view source) {
  TokenizerJson out;
  Reader reader(out);
  bool ok = false;
  try {
    ok = json::sax_parse(text, &reader);
  } catch (const json::exception& e) {
    fail("{}: not a valid tokenizer.json ({})", source, e.what());
  }
  if (!ok) fail("{}: not a valid tokenizer.json ({})", source, reader.error_message());
  return out;
}

}  // namespace oqvl::data
