// The trainer's image path in C++ (decode, resize 384x384 Pillow-bicubic, normalize to planar
// float32), side by side with bench/image_bench.py (Pillow + numpy) on the same files, read
// into memory first. Prints `cpp threads=T images_per_s=X per_core=Y`, one line per thread
// count, X being the best of --repeat passes over all files. bench/run_image_bench.sh runs both and
// prints the ratio.
//
// Usage: image_bench FOLDER [--threads 1,2] [--repeat 3] [--size 384] [--dct]
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/image/image_preprocess.h"

namespace {

using namespace oqvl::data;

// Best images/s over `repeat` passes, each pass splitting all files over `threads` threads
// (each thread owns one output buffer). The best pass is the least disturbed by other load.
double measure(const std::vector<std::string>& blobs, const PreprocessConfig& config, int threads,
               int repeat) {
  double best = 0;
  for (int pass = 0; pass < repeat; ++pass) {
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      std::vector<float> out(preprocessed_size(config));
      for (std::size_t i = next++; i < blobs.size(); i = next++)
        preprocess_encoded(as_bytes(blobs[i]), config, out);
    };
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(blobs.size()) / secs);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      fmt::print(stderr,
                 "usage: image_bench FOLDER [--threads 1,2] [--repeat 3] [--size 384] "
                 "[--dct]\n");
      return 2;
    }
    std::vector<int> thread_counts{1, 2};
    int repeat = 3;
    PreprocessConfig config;
    for (int i = 2; i < argc; ++i) {
      std::string arg = argv[i];
      auto value = [&] {
        if (i + 1 >= argc) oqvl::fail("{} needs a value", arg);
        return std::string(argv[++i]);
      };
      if (arg == "--threads") {
        thread_counts.clear();
        std::string list = value();
        for (std::size_t pos = 0; pos <= list.size();) {
          std::size_t comma = std::min(list.find(',', pos), list.size());
          thread_counts.push_back(std::stoi(list.substr(pos, comma - pos)));
          pos = comma + 1;
        }
      } else if (arg == "--repeat") {
        repeat = std::stoi(value());
      } else if (arg == "--size") {
        config.width = config.height = std::stoi(value());
      } else if (arg == "--dct") {
        config.dct_scaling = true;
      } else {
        oqvl::fail("unknown argument {}", arg);
      }
    }
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(argv[1]))
      if (e.path().extension() == ".jpg") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) oqvl::fail("no .jpg files in {}", argv[1]);
    std::vector<std::string> blobs;
    for (const auto& f : files) blobs.push_back(oqvl::read_file(f));
    measure(blobs, config, 1, 1);  // warm-up: page in code and buffers
    for (int threads : thread_counts) {
      double rate = measure(blobs, config, threads, repeat);
      fmt::print("cpp threads={} images_per_s={:.1f} per_core={:.1f}\n", threads, rate,
                 rate / threads);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "image_bench: {}\n", e.what());
    return 2;
  }
  return 0;
}
