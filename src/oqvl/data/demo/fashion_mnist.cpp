#include "oqvl/data/demo/fashion_mnist.h"

#include <string>

#include "oqvl/core/error.h"
#include "oqvl/data/io/gzip_file.h"

namespace oqvl::data {
namespace fs = std::filesystem;
namespace {

std::string gunzip_file(const fs::path& path) {
  if (!fs::exists(path)) {
    fail("'{}' not found: install Debian's dataset-fashion-mnist (scripts/setup.sh does)", path.string());
  }
  return read_gzip_file(path);
}

std::uint32_t read_be32(const std::string& data, std::size_t offset) {
  auto b = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(data[offset + i]));
  };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

}  // namespace

FashionMnistSplit read_fashion_mnist(const fs::path& dir, std::string_view split) {
  std::string prefix = split == "train" ? "train" : split == "test" ? "t10k" : "";
  if (prefix.empty()) fail("unknown Fashion-MNIST split '{}' (train or test)", split);
  fs::path images_path = dir / (prefix + "-images-idx3-ubyte.gz");
  fs::path labels_path = dir / (prefix + "-labels-idx1-ubyte.gz");
  std::string images = gunzip_file(images_path);
  std::string labels = gunzip_file(labels_path);

  // IDX: big-endian magic (0x00000803 images, 0x00000801 labels), then the dimensions.
  if (images.size() < 16 || read_be32(images, 0) != 0x803) {
    fail("'{}' is not an IDX image file", images_path.string());
  }
  if (labels.size() < 8 || read_be32(labels, 0) != 0x801) {
    fail("'{}' is not an IDX label file", labels_path.string());
  }
  FashionMnistSplit out;
  std::uint32_t count = read_be32(images, 4);
  out.rows = static_cast<int>(read_be32(images, 8));
  out.cols = static_cast<int>(read_be32(images, 12));
  std::size_t pixel_bytes = static_cast<std::size_t>(count) * out.rows * out.cols;
  if (images.size() != 16 + pixel_bytes) fail("'{}' is truncated", images_path.string());
  if (read_be32(labels, 4) != count || labels.size() != 8 + count) {
    fail("'{}' does not match its image file ({} images)", labels_path.string(), count);
  }
  out.pixels.assign(images.begin() + 16, images.end());
  out.labels.assign(labels.begin() + 8, labels.end());
  for (auto l : out.labels) {
    if (l >= kFashionMnistClasses.size()) fail("'{}': label {} out of range", labels_path.string(), l);
  }
  return out;
}

}  // namespace oqvl::data
