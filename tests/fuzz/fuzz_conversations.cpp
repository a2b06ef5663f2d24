// Visual-SFT conversation files (data/sft/conversation_file.h): a LLaVA JSON array or JSON Lines
// (the first byte picks the extension), each sample parsed and checked on demand.
#include <cstdint>

#include "fuzz_util.h"
#include "oqvl/data/sft/conversation_file.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  auto path = fuzz::input_file(data[0] & 1 ? "sft.json" : "sft.jsonl", fuzz::text(data + 1, size - 1));
  fuzz::expect_ok_or_error([&] {
    data::ConversationFile file(path);
    for (std::size_t i = 0; i < file.size() && i < 64; ++i) {
      file.where(i);
      fuzz::expect_ok_or_error([&] { file.at(i); });
    }
  });
  return 0;
}
