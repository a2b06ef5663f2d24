// Interleaved image-text documents (MMC4 / OBELICS as WebDataset shards) to pack items, with
// the rules of the Open-Qwen2VL packer (docs/recipe.md §3; docs/formats.md "Interleaved
// documents"). `oqvl data pack --interleaved` calls this for every sample instead of the caption
// rule (make_pack_item).
//
// Input: the sample's `json` is an object with `texts` (a list: a string, or null where an
// image sits) and, of the same length, `image_info` (the reference's name: `{"image_base64":
// "..."}` where an image sits, else null) or `images` (OBELICS' name: a base64 string or such an
// object, else null). At every position exactly one of the two is set; an image object without
// `image_base64` counts as null. Other keys are ignored; no other member is read.
//
// Rules (the reference's, in its order):
// 1. each image is decoded from base64 and checked (store_pack_image): a side of 1 px drops that
//    position; an image that does not decode drops the document ("undecodable image");
// 2. 0 images left ("no image") or kInterleavedDropImages or more ("10 or more images"): dropped;
// 3. the text: an image position is "<image>\n", a text position its text with "<image>"
//    replaced by "<image-placeholder>" and "<|endofchunk|>" appended; tokenized like LLaVA's
//    tokenizer_image_token (split at "<image>", chunks on their own, joined with the placeholder);
//    <s> prepended unless the ids start with it;
// 4. more than kInterleavedMaxIds ids: dropped ("over 6000 ids");
// 5. images after the last text piece are dropped with their "\n" (the model never attends from
//    them to any text); none left: dropped ("no image before the last text");
// 6. <|im_end|> appended unless last; multimodal length = ids + images * (image_tokens - 1);
// 7. longer than the context (the reference makes an overfull bin): cut to fit like an over-long
//    caption, never inside an image: text ids (and whole images) after the cut go, <|im_end|>
//    ends it, `truncated` is set; images left at the very end are dropped as in 5 (none left:
//    "no image before the last text").
// Deliberate differences from the reference: its rule 5 looks at the last id, which after an
// image is always "\n", so it never fires (and its length would then be wrong); oqvl drops them
// as its comment intends. Rule 7 is oqvl's (the reference never cuts). Where the reference would
// crash (an undecodable image, a position with neither text nor image), oqvl drops the document
// or reports the shard as malformed.
//
// Errors (oqvl::Error naming shard, offset and key, and the json key at fault): no `json`
// member, json that is not an object, `texts` missing or not a list, neither `image_info` nor
// `images`, lists of different lengths, an entry of the wrong type, a position with both or
// neither of text and image, base64 that does not decode. Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "oqvl/data/io/sample.h"
#include "oqvl/data/pack/pack.h"
#include "oqvl/data/text/tokenizer.h"

namespace oqvl::data {

// Documents with this many images or more are dropped (the reference: `len(images) >= 10`).
inline constexpr std::size_t kInterleavedDropImages = 10;
// Documents with more text ids than this are dropped (the reference: `> 6000`).
inline constexpr std::size_t kInterleavedMaxIds = 6000;

struct InterleavedResult {
  std::optional<PackItem> item;  // the document ready to pack, or
  std::string dropped;           // why it is not packed
};

// The pack item of one interleaved document (its images moved out of the json), or the reason
// it is dropped. Throws oqvl::Error for a malformed document (see top).
InterleavedResult make_interleaved_item(const Sample& sample, const Tokenizer& tokenizer,
                                        const PackOptions& options);

}  // namespace oqvl::data
