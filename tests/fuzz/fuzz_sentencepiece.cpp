// SigLIP's SentencePiece tokenizer (data/text/sentencepiece_tokenizer.h): mode byte 0 loads the
// rest as a spiece.model (libsentencepiece's protobuf parser, uninstrumented: only oqvl's side is
// checked under the sanitizers); otherwise the rest is text for the fixture model (canonicalize,
// special-token splitting, truncation, padding).
#include <cstdint>
#include <memory>

#include "fuzz_util.h"
#include "oqvl/data/text/sentencepiece_tokenizer.h"

using namespace oqvl;

namespace {
std::unique_ptr<data::SiglipTokenizer> fixture;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (data::sentencepiece_available()) {
    fixture = std::make_unique<data::SiglipTokenizer>(
        data::SiglipTokenizer::from_folder(OQVL_SOURCE_DIR "/tests/fixtures/model/siglip_clip"));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::string_view rest = fuzz::text(data + 1, size - 1);
  if (data[0] == 0) {
    auto path = fuzz::input_file("spiece.model", rest);
    fuzz::expect_ok_or_error([&] {
      data::SiglipTokenizer tok(path, {});
      tok.encode_padded("a photo of a cat, </s> <unk>!");
    });
    return 0;
  }
  if (!fixture) return 0;
  auto ids = fixture->encode_padded(rest);
  if (ids.size() != static_cast<std::size_t>(fixture->options().max_length)) std::abort();
  fixture->canonicalize(rest);
  return 0;
}
