#include "oqvl/data/demo/fashion_bench.h"

#include <algorithm>
#include <array>
#include <numeric>
#include <vector>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/random.h"
#include "oqvl/data/io/base64.h"
#include "oqvl/data/image/image_encode.h"
#include "oqvl/data/io/tsv.h"

#include <nlohmann/json.hpp>

namespace oqvl::data {
namespace {

// A seeded sample of `count` distinct test images (partial Fisher-Yates), kept in file order so
// the benchmark reads like the split itself.
std::vector<int> sample_images(SplitMix64& rng, int available, int count) {
  std::vector<int> order(static_cast<std::size_t>(available));
  std::iota(order.begin(), order.end(), 0);
  for (int i = 0; i < count; ++i) {
    std::size_t j = static_cast<std::size_t>(i) + rng.below(static_cast<std::uint64_t>(available - i));
    std::swap(order[static_cast<std::size_t>(i)], order[j]);
  }
  order.resize(static_cast<std::size_t>(count));
  std::sort(order.begin(), order.end());
  return order;
}

std::string encode_image(const FashionMnistSplit& test, int image_index, bool jpeg) {
  const std::size_t image_size = static_cast<std::size_t>(test.rows) * test.cols;
  std::span<const std::uint8_t> pixels(
      test.pixels.data() + static_cast<std::size_t>(image_index) * image_size, image_size);
  return jpeg ? encode_jpeg(pixels, test.cols, test.rows, 1, 95)
              : encode_png(pixels, test.cols, test.rows, 1);
}

std::string source_of(int image_index) { return "fashion-mnist test #" + std::to_string(image_index); }

// The open-answer file: one question per sampled image, TSV or JSONL by the file's extension.
std::string open_bench_text(const FashionMnistSplit& test, const std::vector<int>& images,
                            const FashionBenchOptions& options) {
  const bool jsonl = options.out.extension() == ".jsonl";
  std::string text = jsonl
                         ? std::string()
                         : tsv_line({"index", "question", "answer", "category", "image", "source", "split"});
  for (std::size_t q = 0; q < images.size(); ++q) {
    const int image_index = images[q];
    const std::string name(kFashionMnistClasses[test.labels[static_cast<std::size_t>(image_index)]]);
    const std::string image = base64_encode(encode_image(test, image_index, options.jpeg));
    if (jsonl) {
      nlohmann::ordered_json line = {
          {"index", q},     {"question", kFashionOpenQuestion}, {"answer", name}, {"category", name},
          {"image", image}, {"source", source_of(image_index)}, {"split", "test"}};
      text += line.dump() + "\n";
    } else {
      text += tsv_line(
          {std::to_string(q), kFashionOpenQuestion, name, name, image, source_of(image_index), "test"});
    }
  }
  return text;
}

}  // namespace

std::string fashion_class_group(int label) {
  static constexpr std::array<const char*, 10> kGroups = {
      "top", "bottom", "top", "dress", "outerwear", "footwear", "top", "footwear", "bag", "footwear"};
  if (label < 0 || label >= 10) fail("fashion-mnist: label {} out of range", label);
  return kGroups[static_cast<std::size_t>(label)];
}

FashionBenchSummary make_fashion_bench(const FashionBenchOptions& options) {
  if (options.out.empty()) fail("make-bench: no output file given");
  FashionMnistSplit test = read_fashion_mnist(options.source, "test");
  const int available = static_cast<int>(test.size());
  if (options.count < 1 || options.count > available) {
    fail("make-bench: --count {} is outside 1..{} (the test split's size)", options.count, available);
  }
  SplitMix64 rng(options.seed ^ 0x6D616B6562656E63ULL);
  const std::vector<int> order = sample_images(rng, available, options.count);

  FashionBenchSummary summary;
  if (options.open) {
    const std::string text = open_bench_text(test, order, options);
    write_file_atomic(options.out, text);
    summary.questions = options.count;
    summary.bytes = text.size();
    return summary;
  }
  std::string text = tsv_line({"index", "question", "hint", "A", "B", "C", "D", "answer", "category", "image",
                               "source", "l2-category", "split"});
  std::array<int, 4> positions = {0, 1, 2, 3};
  for (int q = 0; q < options.count; ++q) {
    // The answer's letter: each block of four questions uses every letter once, in a
    // seeded order, so no letter is favoured.
    if (q % 4 == 0) {
      for (int k = 3; k > 0; --k)
        std::swap(positions[static_cast<std::size_t>(k)],
                  positions[rng.below(static_cast<std::uint64_t>(k + 1))]);
    }
    const int answer_pos = positions[static_cast<std::size_t>(q % 4)];
    const int image_index = order[static_cast<std::size_t>(q)];
    const int label = test.labels[static_cast<std::size_t>(image_index)];

    // Three distinct distractor classes.
    std::vector<int> others;
    for (int c = 0; c < 10; ++c)
      if (c != label) others.push_back(c);
    for (int k = 0; k < 3; ++k) {
      std::size_t j = static_cast<std::size_t>(k) + rng.below(others.size() - static_cast<std::size_t>(k));
      std::swap(others[static_cast<std::size_t>(k)], others[j]);
    }
    std::array<int, 4> option_labels{};
    for (int k = 0, d = 0; k < 4; ++k) {
      option_labels[static_cast<std::size_t>(k)] = k == answer_pos ? label
                                                                   : others[static_cast<std::size_t>(d++)];
    }

    const std::string encoded = encode_image(test, image_index, options.jpeg);
    std::vector<std::string> row = {std::to_string(q), kFashionBenchQuestion, ""};
    for (int label_k : option_labels)
      row.emplace_back(kFashionMnistClasses[static_cast<std::size_t>(label_k)]);
    row.emplace_back(1, static_cast<char>('A' + answer_pos));
    row.emplace_back(kFashionMnistClasses[static_cast<std::size_t>(label)]);
    row.push_back(base64_encode(encoded));
    row.push_back(source_of(image_index));
    row.push_back(fashion_class_group(label));
    row.push_back("dev");
    text += tsv_line(row);
    ++summary.answers_per_letter[answer_pos];
  }
  write_file_atomic(options.out, text);
  summary.questions = options.count;
  summary.bytes = text.size();
  return summary;
}

}  // namespace oqvl::data
