// Loading a Hugging Face tokenizer.json (data/text/tokenizer.h, tokenizer_json.h): the streaming
// vocab/merges reader and the checks of the rest of the file; a loaded tokenizer must then encode
// and decode.
#include <cstdint>
#include <vector>

#include "fuzz_util.h"
#include "oqvl/data/text/tokenizer.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::expect_ok_or_error([&] {
    auto tok = data::Tokenizer::from_json(fuzz::text(data, size));
    auto ids = tok.encode("Hello world! 123 <|im_end|> caf\xc3\xa9 \xe4\xb8\xad");
    tok.decode(ids);
    std::vector<std::int32_t> some;
    for (std::int32_t i = 0; i < tok.vocab_size() && i < 300; ++i) some.push_back(i);
    fuzz::expect_ok_or_error([&] { tok.decode(some, false, true); });
    for (std::int32_t i = 0; i < tok.vocab_size() && i < 64; ++i) {
      fuzz::expect_ok_or_error([&] { tok.id_to_token(i); });
    }
  });
  return 0;
}
