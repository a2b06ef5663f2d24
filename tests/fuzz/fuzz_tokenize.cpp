// Tokenizing and decoding arbitrary bytes with the real Qwen2 tokenizer (assets/, the
// Open-Qwen2VL layout): invalid UTF-8, added tokens, any id sequence. Checks the round trip
// decode(encode(text)) == text where it must hold (ASCII without '<': NFC changes nothing and no
// added token can match).
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_tokenizer.h"
#include "fuzz_util.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  const data::Tokenizer& tokenizer = fuzz::qwen2_tokenizer();
  std::string_view text = fuzz::text(data + 1, size - 1);
  if (mode & 1) {
    // Ids: 4 bytes each, spread over the vocabulary, a little past it, and negative.
    std::vector<std::int32_t> ids;
    for (std::size_t i = 0; i + 4 <= text.size(); i += 4) {
      std::uint32_t v;
      std::memcpy(&v, text.data() + i, 4);
      ids.push_back(v >> 31 ? -static_cast<std::int32_t>(v & 0xff) - 1
                            : static_cast<std::int32_t>(v % (tokenizer.vocab_size() + 64u)));
    }
    fuzz::expect_ok_or_error([&] { tokenizer.decode(ids, mode & 2, mode & 4); });
    return 0;
  }
  std::vector<std::int32_t> ids = tokenizer.encode(text);  // total: never throws
  for (auto id : ids) {
    if (id < 0 || id >= tokenizer.vocab_size()) std::abort();
  }
  std::string back = tokenizer.decode(ids);
  bool plain = true;
  for (unsigned char c : text) plain = plain && c < 0x80 && c != '<';
  if (plain && back != text) std::abort();
  return 0;
}
