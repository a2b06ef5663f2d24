#include "oqvl/data/demo/demo_captions.h"

#include <array>

#include "oqvl/core/random.h"

namespace oqvl::data {
namespace {

// {a} = article + optional adjective + noun ("a plain sneaker", "an ankle boot").
constexpr std::array<std::string_view, 16> kTemplates = {
    "a photo of {a}",
    "a picture of {a}",
    "{A} on a plain background",
    "a black and white photo of {a}",
    "a grayscale product photo of {a}",
    "a small low-resolution image of {a}",
    "{A} photographed from the front",
    "product shot: {a}, centered on a dark background",
    "an image showing a single {n}",
    "a close-up of {a}",
    "this is {a}",
    "a catalog photo of {a} for an online store",
    "{A}, seen from above",
    "a thumbnail of {a} in shades of gray",
    "the photo shows {a} against a black background",
    "{A} for sale",
};

constexpr std::array<std::string_view, 10> kAdjectives = {"",      "",        "",       "",        "simple",
                                                          "plain", "classic", "casual", "stylish", "new"};

}  // namespace

std::string_view indefinite_article(std::string_view next_word) {
  if (next_word.empty()) return "a";
  switch (next_word.front()) {
    case 'a':
    case 'e':
    case 'i':
    case 'o':
    case 'u':
    case 'A':
    case 'E':
    case 'I':
    case 'O':
    case 'U': return "an";
    default: return "a";
  }
}

std::string demo_caption(std::string_view noun, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::string_view templ = kTemplates[rng.below(kTemplates.size())];
  std::string_view adjective = kAdjectives[rng.below(kAdjectives.size())];
  std::string phrase(adjective);
  if (!phrase.empty()) phrase += ' ';
  phrase += noun;
  std::string with_article = std::string(indefinite_article(phrase)) + " " + phrase;

  std::string out;
  for (std::size_t i = 0; i < templ.size(); ++i) {
    if (templ.compare(i, 3, "{a}") == 0) {
      out += with_article;
      i += 2;
    } else if (templ.compare(i, 3, "{A}") == 0) {
      std::string capital = with_article;
      capital[0] = static_cast<char>(capital[0] - 'a' + 'A');
      out += capital;
      i += 2;
    } else if (templ.compare(i, 3, "{n}") == 0) {
      out += noun;
      i += 2;
    } else {
      out += templ[i];
    }
  }
  return out;
}

}  // namespace oqvl::data
