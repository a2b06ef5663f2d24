// Templated captions for the demo data set: varied, web-alt-text-like descriptions of a
// labelled product photo ("a photo of a sneaker", "an ankle boot on a plain background").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace oqvl::data {

// A caption for an item of class `noun`, chosen by `seed` (same seed, same caption).
std::string demo_caption(std::string_view noun, std::uint64_t seed);

// "a" or "an" for the word that follows.
std::string_view indefinite_article(std::string_view next_word);

}  // namespace oqvl::data
