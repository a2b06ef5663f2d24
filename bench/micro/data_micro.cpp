// Google Benchmark micro-benchmarks of the data layer's inner loops, for profiling changes to
// one kernel at a time (the side-by-side comparisons with Python live in bench/run_*_bench.sh).
// Run: build/bench/data_micro [--benchmark_filter=Resize]
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "oqvl/data/image/image.h"
#include "oqvl/data/image/image_encode.h"
#include "oqvl/data/image/image_preprocess.h"
#include "oqvl/data/image/image_resize.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "oqvl/data/io/tar_format.h"

namespace {
using namespace oqvl::data;

Image test_image(int width, int height) {
  Image img;
  img.width = width;
  img.height = height;
  img.rgb.resize(static_cast<std::size_t>(width) * height * 3);
  for (std::size_t i = 0; i < img.rgb.size(); ++i) img.rgb[i] = static_cast<std::uint8_t>(i * 31 % 251);
  return img;
}

void BM_ResizeBicubic768x512To384(benchmark::State& state) {
  Image img = test_image(768, 512);
  for (auto _ : state) benchmark::DoNotOptimize(resize(img, 384, 384, ResampleFilter::kBicubic));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResizeBicubic768x512To384);

void BM_PreprocessSiglip768x512(benchmark::State& state) {
  Image img = test_image(768, 512);
  PreprocessConfig config;
  std::vector<float> out(preprocessed_size(config));
  for (auto _ : state) {
    preprocess_image(img, config, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PreprocessSiglip768x512);

void BM_DecodeJpeg768x512(benchmark::State& state) {
  Image img = test_image(768, 512);
  std::string jpg = encode_jpeg(img.rgb, img.width, img.height, 3, 90);
  for (auto _ : state) benchmark::DoNotOptimize(decode_image(as_bytes(jpg)));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * jpg.size()));
}
BENCHMARK(BM_DecodeJpeg768x512);

void BM_TokenizeCaption(benchmark::State& state) {
  static const Tokenizer tokenizer = load_qwen2vl_tokenizer(
      std::filesystem::path(OQVL_SOURCE_DIR) / "assets/qwen2-tokenizer/tokenizer.json");
  const std::string caption =
      "A young woman in a red jacket walks her dog along the beach at sunset, 2019.";
  std::vector<std::int32_t> ids;
  for (auto _ : state) {
    ids.clear();
    tokenizer.encode_append(caption, ids);
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * caption.size()));
}
BENCHMARK(BM_TokenizeCaption);

void BM_TarHeaderParse(benchmark::State& state) {
  unsigned char block[tar::kBlock];
  tar::format_header(block, "000012345.jpg", 51234);
  tar::Header header;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tar::parse_header(block, header));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TarHeaderParse);

}  // namespace

BENCHMARK_MAIN();
