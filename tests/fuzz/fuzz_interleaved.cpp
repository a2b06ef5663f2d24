// Interleaved image-text documents (MMC4 / OBELICS json with base64 images) as `oqvl data pack
// --interleaved` turns them into pack items (data/pack/interleaved.h): web data, so every key,
// list, base64 string and image is untrusted. Input: a mode byte, then the sample's json. Mode
// bits: 0-1 the context (64, 256, 4096, 16384), 2 the image tokens (16 or 144), 3 a full decode
// of every image (--decode-check). Besides "an item or oqvl::Error", an item must keep the
// packer's invariants: 1-9 images, one placeholder id per image, the length formula, within the
// context, <s> first and <|im_end|> last.
#include <cstdint>

#include "fuzz_tokenizer.h"
#include "fuzz_util.h"
#include "oqvl/data/pack/interleaved.h"
#include "oqvl/data/text/special_tokens.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  data::PackOptions options;
  constexpr std::uint32_t kContexts[] = {64, 256, 4096, 16384};
  options.context = kContexts[mode & 3];
  options.image_tokens = mode & 4 ? 144 : 16;
  options.decode_check = mode & 8;
  options.interleaved = true;
  data::Sample sample;
  sample.key = "doc";
  sample.shard = "fuzz.tar";
  sample.add("json", std::string(fuzz::text(data + 1, size - 1)));
  fuzz::expect_ok_or_error([&] {
    data::InterleavedResult r = data::make_interleaved_item(sample, fuzz::qwen2_tokenizer(), options);
    if (!r.item) {
      if (r.dropped.empty()) std::abort();
      return;
    }
    const data::PackItem& item = *r.item;
    const std::size_t images = item.images.size();
    if (images == 0 || images >= data::kInterleavedDropImages) std::abort();
    std::size_t placeholders = 0;
    for (std::uint32_t id : item.ids) placeholders += id == data::kPackedImagePlaceholder;
    if (placeholders != images) std::abort();
    if (item.length != item.ids.size() + images * (options.image_tokens - 1)) std::abort();
    if (item.length > options.context) std::abort();
    if (item.ids.front() != static_cast<std::uint32_t>(data::kBosId) ||
        item.ids.back() != static_cast<std::uint32_t>(data::kImEndId))
      std::abort();
  });
  return 0;
}
