// Few-shot in-context evaluation (the paper's Table 5: the base model on GQA, VQAv2, VizWiz,
// OK-VQA, TextVQA with 0 and 8 shots, averaged over 5 seeds). K demonstrations are drawn
// (seeded) from a support set - the benchmark's own questions unless another file is given, as
// the paper's harness samples TextVQA's demonstrations from the evaluated split - and each
// becomes
//   "<image>\nQuestion: {question}\nAnswer the question using a single word or phrase.\nAnswer: {answer}<|endofchunk|>"
// with answer = the most common reference (ties: the first seen, like Counter.most_common);
// the K blocks, in draw order, come before the query's own prompt, and the prompt's images are
// the demonstrations' then the query's, each spliced at its placeholder. The same demonstrations
// serve every question of a seed. Pure functions, no torch; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "oqvl/eval/benchmark.h"

namespace oqvl::eval {

// K distinct indexes in [0, n), the first K of a Fisher-Yates shuffle driven by SplitMix64(seed)
// (step i swaps i with i + below(n - i)). Throws oqvl::Error when K > n.
std::vector<std::size_t> draw_demonstrations(std::size_t n, std::size_t k, std::uint64_t seed);

// The most common of the item's references (answers, else answer); ties: the first seen.
std::string demonstration_answer(const McItem& item);

// The K blocks above, concatenated.
std::string few_shot_prefix(const std::vector<const McItem*>& demonstrations);

}  // namespace oqvl::eval
