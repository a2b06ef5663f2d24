// Real benchmarks made from the Fashion-MNIST test split, in layouts the evaluation layer reads.
// Multiple choice (MMBench TSV layout): one question per image ("What kind of product is shown
// in the image?"), four options (the true class and three other classes, seeded), the answer
// position balanced over A-D. Open answer (--open): "What item is shown?", the answer the class
// name as the demo captions write it ("ankle boot"), as TSV or JSONL. Both exercise the whole
// evaluation path offline. Errors: oqvl::Error (bad count, missing IDX files). Single-threaded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "oqvl/data/demo/fashion_mnist.h"

namespace oqvl::data {

struct FashionBenchOptions {
  std::filesystem::path source = kFashionMnistDir;
  std::filesystem::path out;  // the .tsv file to write
  int count = 1000;           // questions (distinct test images), 1..10000
  std::uint64_t seed = 0;
  bool jpeg = false;  // PNG (lossless, default) or JPEG (quality 95)
  // Open-answer questions instead of multiple choice; written as JSONL when `out` ends in
  // .jsonl, else as TSV.
  bool open = false;
};

struct FashionBenchSummary {
  int questions = 0;
  std::uint64_t bytes = 0;
  int answers_per_letter[4] = {0, 0, 0, 0};
};

// The question every row asks.
inline constexpr const char* kFashionBenchQuestion = "What kind of product is shown in the image?";
inline constexpr const char* kFashionOpenQuestion = "What item is shown?";

// Writes the TSV atomically. Columns (MMBench_DEV_EN's): index, question, hint, A, B, C, D,
// answer, category (the true class), image (base64), source, l2-category (top, bottom,
// dress, outerwear, footwear, bag), split ("dev"). Same options, same file.
// With `open`: columns / keys index, question, answer (the class name), category (the same),
// image (base64), source, split; the same seeded images as the multiple-choice file.
FashionBenchSummary make_fashion_bench(const FashionBenchOptions& options);

// The coarse group of a class, written as l2-category.
std::string fashion_class_group(int label);

}  // namespace oqvl::data
