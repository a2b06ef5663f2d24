#include "oqvl/eval/few_shot.h"

#include <algorithm>
#include <numeric>

#include "oqvl/core/error.h"
#include "oqvl/core/random.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "oqvl/eval/prompts.h"

namespace oqvl::eval {

std::vector<std::size_t> draw_demonstrations(std::size_t n, std::size_t k, std::uint64_t seed) {
  if (k > n) fail("few-shot: {} demonstrations asked from a support set of {} questions", k, n);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  SplitMix64 rng(seed);
  for (std::size_t i = 0; i < k; ++i) std::swap(order[i], order[i + rng.below(n - i)]);
  order.resize(k);
  return order;
}

std::string demonstration_answer(const McItem& item) {
  const std::vector<std::string> refs = item.answers.empty() ? std::vector<std::string>{item.answer}
                                                             : item.answers;
  std::string best;
  long best_count = 0;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (std::find(refs.begin(), refs.begin() + static_cast<long>(i), refs[i]) !=
        refs.begin() + static_cast<long>(i))
      continue;  // counted at its first occurrence
    const long c = std::count(refs.begin(), refs.end(), refs[i]);
    if (c > best_count) {
      best = refs[i];
      best_count = c;
    }
  }
  return best;
}

std::string few_shot_prefix(const std::vector<const McItem*>& demonstrations) {
  std::string out;
  for (const McItem* d : demonstrations) {
    out += std::string(kImagePlaceholder) + "\nQuestion: " + d->question + "\n" +
           std::string(kShortAnswerInstruction) + "\nAnswer: " + demonstration_answer(*d) +
           std::string(data::kEndOfChunkText);
  }
  return out;
}

}  // namespace oqvl::eval
