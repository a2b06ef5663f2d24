// Reader of the Fashion-MNIST IDX files that Debian's dataset-fashion-mnist installs: 28x28
// grayscale product photos in 10 classes. This is the embedded demo data set.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace oqvl::data {

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Class names in label order, as the data set's README gives them (lower case).
inline constexpr std::array<std::string_view, 10> kFashionMnistClasses = {
    "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"};

struct FashionMnistSplit {
  int rows = 0;
  int cols = 0;
  std::vector<std::uint8_t> pixels;  // count * rows * cols, image after image
  std::vector<std::uint8_t> labels;  // count
  std::size_t size() const { return labels.size(); }
};

// Reads "train" or "test" from `dir` (the gzipped IDX files); throws oqvl::Error with the file
// name and a hint to run scripts/setup.sh when they are missing or malformed.
FashionMnistSplit read_fashion_mnist(const std::filesystem::path& dir, std::string_view split);

}  // namespace oqvl::data
