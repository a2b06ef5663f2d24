// `oqvl data preprocess-bench`: decodes and preprocesses image files the way the trainer feeds
// the vision tower (resize to SIZE x SIZE Pillow-bicubic, normalize 0.5/0.5, planar float32)
// and reports throughput. Inputs are image files, folders of them, or WebDataset shards; all
// are read into memory first, so the numbers exclude disk I/O.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "oqvl/commands.h"
#include "oqvl/core/bad_input.h"
#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/thread_pool.h"
#include "oqvl/data/image/image_preprocess.h"
#include "oqvl/data/io/sample.h"
#include "oqvl/data/io/shard_list.h"
#include "oqvl/data/io/tar_reader.h"

namespace oqvl::cli {
namespace {

namespace fs = std::filesystem;

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp";
}

// An encoded image held in memory, with a name for error messages.
struct EncodedImage {
  std::string name;
  std::string bytes;
};

// WebDataset shards contribute the image field of every sample ("shard.tar:key").
void add_shard_images(const fs::path& shard, std::vector<EncodedImage>& out) {
  data::TarReader reader(shard);
  while (auto sample = reader.next()) {
    if (const data::Field* image = sample->find(data::kImageExtensions)) {
      out.push_back({fmt::format("{}:{}", shard.string(), sample->key), image->bytes});
    }
  }
}

// Files as given (images, or .tar shards), plus the image files under any folder (sorted for a
// stable order), read into memory.
std::vector<EncodedImage> collect_images(const std::vector<std::string>& inputs) {
  std::vector<EncodedImage> images;
  for (const auto& input : inputs) {
    fs::path path(input);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::recursive_directory_iterator(path))
        if (e.is_regular_file() && is_image_file(e.path())) found.push_back(e.path());
      std::sort(found.begin(), found.end());
      for (const auto& f : found) images.push_back({f.string(), read_file(f)});
    } else if (path.extension() == ".tar") {
      for (const auto& shard : data::expand_shard_specs({input})) add_shard_images(shard, images);
    } else if (fs::exists(path, ec)) {
      images.push_back({path.string(), read_file(path)});
    } else {
      fail("{}: no such file or folder", input);
    }
  }
  if (images.empty()) {
    fail("no images found in the inputs (.jpg, .jpeg, .png, .webp files, folders, .tar shards)");
  }
  return images;
}

struct Options {
  std::vector<std::string> inputs;
  int threads = 0;
  int size = 384;
  int repeat = 1;
  bool dct = false;
  bool bf16 = false;
  bool skip_bad = false;
};

void run(const Options& opt) {
  if (opt.repeat < 1) fail("--repeat must be >= 1 (got {})", opt.repeat);
  if (opt.size < 1 || opt.size > 8192) fail("--size must be in 1..8192 (got {})", opt.size);
  const std::vector<EncodedImage> images = collect_images(opt.inputs);

  data::PreprocessConfig config;
  config.width = config.height = opt.size;
  config.dct_scaling = opt.dct;
  const int threads = resolve_thread_count(opt.threads);
  ThreadPool pool(threads);
  const std::size_t total = images.size() * static_cast<std::size_t>(opt.repeat);
  SkipCounter skipped;
  const auto start = std::chrono::steady_clock::now();
  pool.parallel_for(total, [&](std::size_t i) {
    // One output buffer per worker thread, reused across images.
    thread_local std::vector<float> out;
    thread_local std::vector<std::uint16_t> out_bf16;
    const std::size_t file = i % images.size();
    try {
      if (opt.bf16) {
        out_bf16.resize(data::preprocessed_size(config));
        data::preprocess_encoded_bf16(data::as_bytes(images[file].bytes), config, out_bf16);
      } else {
        out.resize(data::preprocessed_size(config));
        data::preprocess_encoded(data::as_bytes(images[file].bytes), config, out);
      }
    } catch (const Error& e) {
      if (!opt.skip_bad) fail("{}: {}", images[file].name, e.what());
      skipped.add("undecodable image");
    }
  });
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::uint64_t bad = skipped.total();
  if (bad == total) fail("none of the {} images could be decoded", images.size());
  const double rate = static_cast<double>(total) / secs;
  fmt::print("preprocessed {} images ({} inputs x {}) to {}x{} {} in {:.3f} s\n", total,
             images.size(), opt.repeat, opt.size, opt.size, opt.bf16 ? "bf16" : "float32", secs);
  fmt::print("images/s: {:.1f} total, {:.1f} per thread ({} threads)\n", rate, rate / threads,
             threads);
  // Each file is tried `repeat` times; report files, not attempts.
  if (bad > 0) fmt::print("skipped {} undecodable images\n", bad / opt.repeat);
}

}  // namespace

void register_data_preprocess_bench(CLI::App& data) {
  auto opt = std::make_shared<Options>();
  auto* cmd = data.add_subcommand(
      "preprocess-bench",
      "Decode and preprocess images like the trainer (resize SIZExSIZE Pillow-bicubic, "
      "normalize mean 0.5 std 0.5, planar float32) and print images/s. Files are read into "
      "memory first; an undecodable image stops the run with exit code 2 unless --skip-bad.");
  cmd->add_option("files", opt->inputs,
                  "Image files (.jpg .jpeg .png .webp), folders of them, or .tar shards (globs "
                  "and brace ranges allowed)")
      ->required();
  cmd->add_option("--threads", opt->threads, "Worker threads (0 = all hardware threads)")
      ->capture_default_str();
  cmd->add_option("--size", opt->size, "Output side in pixels")->capture_default_str();
  cmd->add_option("--repeat", opt->repeat, "Times to process every file")->capture_default_str();
  cmd->add_flag("--dct", opt->dct,
                "Decode large JPEGs at reduced size in the DCT domain (faster, not bit-exact "
                "with Pillow)");
  cmd->add_flag("--bf16", opt->bf16, "Produce bfloat16 instead of float32");
  cmd->add_flag("--skip-bad", opt->skip_bad,
                "Count and skip undecodable images instead of stopping (they still count in "
                "images/s as attempts)");
  cmd->callback([opt] { run(*opt); });
}

}  // namespace oqvl::cli
