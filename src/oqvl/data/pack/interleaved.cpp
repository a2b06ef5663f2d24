#include "oqvl/data/pack/interleaved.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <vector>

#include "oqvl/core/error.h"
#include "oqvl/data/io/base64.h"
#include "oqvl/data/text/image_prompt.h"
#include "oqvl/data/text/special_tokens.h"

namespace oqvl::data {

namespace {

constexpr std::string_view kEndOfChunk = "<|endofchunk|>";
constexpr std::uint32_t kNewlineId = 198;  // "\n" in Qwen2's vocabulary: what follows an image

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

// One position of the document: a text or an image (base64 text until decoded).
struct Position {
  bool image = false;
  std::string text;  // the text, or the image's base64
};

struct Document {
  std::string images_key;  // "image_info" or "images"
  std::vector<Position> positions;
};

// The document's positions, checked; every error names the sample and the json key at fault.
Document read_document(const Sample& sample) {
  const std::string where = sample.where();
  const Field* field = sample.find("json");
  if (field == nullptr) {
    fail("interleaved document {}: no json member (an interleaved shard's samples hold `texts` and "
         "`image_info` in {}.json)",
         where, sample.key);
  }
  nlohmann::json j = nlohmann::json::parse(field->bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    fail("interleaved document {}: its json is not a JSON object", where);
  auto texts = j.find("texts");
  if (texts == j.end() || !texts->is_array()) {
    fail("interleaved document {}: json 'texts' {}", where,
         texts == j.end() ? "is missing" : fmt::format("must be a list, got {}", texts->type_name()));
  }
  const char* images_key = j.contains("image_info") ? "image_info" : "images";
  auto images = j.find(images_key);
  if (images == j.end()) fail("interleaved document {}: json has neither 'image_info' nor 'images'", where);
  if (!images->is_array()) {
    fail("interleaved document {}: json '{}' must be a list, got {}", where, images_key, images->type_name());
  }
  if (images->size() != texts->size()) {
    fail("interleaved document {}: json 'texts' has {} entries, '{}' {} (one of each per position)", where,
         texts->size(), images_key, images->size());
  }
  Document doc;
  doc.images_key = images_key;
  auto& out = doc.positions;
  out.reserve(texts->size());
  for (std::size_t i = 0; i < texts->size(); ++i) {
    const auto& t = (*texts)[i];
    const auto& im = (*images)[i];
    if (!t.is_null() && !t.is_string()) {
      fail("interleaved document {}: json 'texts[{}]' must be a string or null, got {}", where, i,
           t.type_name());
    }
    const nlohmann::json* b64 = nullptr;
    if (im.is_string()) {
      b64 = &im;
    } else if (im.is_object()) {
      auto it = im.find("image_base64");
      if (it != im.end() && !it->is_null()) {
        if (!it->is_string()) {
          fail("interleaved document {}: json '{}[{}].image_base64' must be a string, got {}", where,
               images_key, i, it->type_name());
        }
        b64 = &*it;
      }
    } else if (!im.is_null()) {
      fail("interleaved document {}: json '{}[{}]' must be an object, a base64 string or null, got {}", where,
           images_key, i, im.type_name());
    }
    if ((b64 != nullptr) == t.is_string()) {
      fail("interleaved document {}: position {} has {} (json 'texts[{}]' and '{}[{}]': exactly one is set)",
           where, i, b64 != nullptr ? "both a text and an image" : "neither a text nor an image", i,
           images_key, i);
    }
    out.push_back(b64 != nullptr ? Position{true, b64->get<std::string>()}
                                 : Position{false, t.get<std::string>()});
  }
  return doc;
}

// Drops images at the end of `ids` (a placeholder, or one followed by its "\n"), with their
// images: the model would attend from them to nothing. Returns the images dropped.
std::size_t drop_trailing_images(std::vector<std::uint32_t>& ids) {
  std::size_t dropped = 0;
  for (;;) {
    if (!ids.empty() && ids.back() == kPackedImagePlaceholder) {
      ids.pop_back();
    } else if (ids.size() >= 2 && ids.back() == kNewlineId &&
               ids[ids.size() - 2] == kPackedImagePlaceholder) {
      ids.resize(ids.size() - 2);
    } else {
      return dropped;
    }
    ++dropped;
  }
}

}  // namespace

InterleavedResult make_interleaved_item(const Sample& sample, const Tokenizer& tokenizer,
                                        const PackOptions& options) {
  InterleavedResult out;
  Document doc = read_document(sample);
  std::vector<Position>& positions = doc.positions;

  // 1. Images decoded and checked; a 1-px image's position goes (the reference skips it).
  PackItem item;
  item.key = sample.key;
  std::string corpus;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    Position& p = positions[i];
    if (!p.image) {
      std::string text = std::move(p.text);
      replace_all(text, kImageMarker, "<image-placeholder>");
      corpus += text;
      corpus += kEndOfChunk;
      continue;
    }
    auto bytes = base64_decode(p.text);
    if (!bytes) {
      fail("interleaved document {}: json '{}[{}]' is not base64 (images are embedded: URLs must be "
           "downloaded first)",
           sample.where(), doc.images_key, i);
    }
    std::string dropped;
    auto image = store_pack_image(std::move(*bytes), "", options, dropped);
    if (!image) {
      if (dropped == "image side of 1 px") continue;
      out.dropped = dropped;
      return out;
    }
    item.images.push_back(std::move(*image));
    corpus += kImageMarker;
    corpus += '\n';
  }

  // 2. Image count.
  if (item.images.empty()) {
    out.dropped = "no image";
    return out;
  }
  if (item.images.size() >= kInterleavedDropImages) {
    out.dropped = fmt::format("{} or more images", kInterleavedDropImages);
    return out;
  }

  // 3. Tokens, as LLaVA's tokenizer_image_token: when the first chunk starts with <s> (a text
  // beginning with a literal "<s>") it drops the first token of every later chunk.
  ImagePromptOptions prompt;
  prompt.add_bos = false;
  std::vector<std::int64_t> ids = tokenize_image_prompt(tokenizer, corpus, prompt);
  if (!ids.empty() && ids.front() == kBosId) {
    prompt.drop_first_token_after_image = true;
    ids = tokenize_image_prompt(tokenizer, corpus, prompt);
  }
  item.ids.reserve(ids.size() + 2);
  if (ids.empty() || ids.front() != kBosId) item.ids.push_back(static_cast<std::uint32_t>(kBosId));
  for (std::int64_t id : ids) {
    item.ids.push_back(id == kImagePlaceholderId ? kPackedImagePlaceholder : static_cast<std::uint32_t>(id));
  }

  // 4. Too long a document.
  if (item.ids.size() > kInterleavedMaxIds) {
    out.dropped = fmt::format("over {} ids", kInterleavedMaxIds);
    return out;
  }

  // 5. Images after the last text.
  item.images.resize(item.images.size() - drop_trailing_images(item.ids));
  if (item.images.empty()) {
    out.dropped = "no image before the last text";
    return out;
  }

  // 6. <|im_end|> and the multimodal length.
  if (item.ids.back() != static_cast<std::uint32_t>(kImEndId))
    item.ids.push_back(static_cast<std::uint32_t>(kImEndId));
  auto length = [&] {
    return item.ids.size() + item.images.size() * (options.image_tokens - std::uint64_t{1});
  };

  // 7. Longer than the context: keep the longest prefix that fits with <|im_end|>, whole images only.
  if (length() > options.context) {
    std::uint64_t used = 1;  // <|im_end|>
    std::size_t keep = 0, images = 0;
    for (; keep + 1 < item.ids.size(); ++keep) {
      const bool image = item.ids[keep] == kPackedImagePlaceholder;
      const std::uint64_t w = image ? options.image_tokens : 1;
      if (used + w > options.context) break;
      used += w;
      images += image ? 1 : 0;
    }
    item.ids.resize(keep);
    images -= drop_trailing_images(item.ids);
    item.images.resize(images);
    if (item.images.empty()) {
      out.dropped = "no image before the last text";
      return out;
    }
    item.ids.push_back(static_cast<std::uint32_t>(kImEndId));
    item.truncated = true;
  }
  item.length = static_cast<std::uint32_t>(length());
  out.item = std::move(item);
  return out;
}

}  // namespace oqvl::data
