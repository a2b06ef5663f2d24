#include "oqvl/data/demo/demo_data.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/interrupt.h"
#include "oqvl/core/progress.h"
#include "oqvl/core/random.h"
#include "oqvl/core/thread_pool.h"
#include "oqvl/data/demo/demo_captions.h"
#include "oqvl/data/demo/demo_sft.h"
#include "oqvl/data/image/image_encode.h"
#include "oqvl/data/io/tar_writer.h"

namespace oqvl::data {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

constexpr const char* kSummaryFile = "demo.json";

// A DataComp-style 128-bit uid (32 hex digits), derived from the seed, split and index.
std::string demo_uid(std::uint64_t seed, std::string_view split, std::uint64_t index) {
  SplitMix64 rng(seed ^ (split == "train" ? 0x7472616EULL : 0x74657374ULL) ^ (index << 20));
  std::uint64_t hi = rng.next(), lo = rng.next();
  return fmt::format("{:016x}{:016x}", hi, lo);
}

json options_json(const DemoOptions& o) {
  return json{{"source", o.source.string()},
              {"train_samples", o.train_samples},
              {"test_samples", o.test_samples},
              {"shard_size", o.shard_size},
              {"seed", o.seed},
              {"jpeg_quality", o.jpeg_quality}};
}

Sample demo_sample(const FashionMnistSplit& data, std::string_view split, std::uint64_t index,
                   const DemoOptions& options) {
  const std::size_t image_bytes = static_cast<std::size_t>(data.rows) * data.cols;
  std::span<const std::uint8_t> pixels(data.pixels.data() + index * image_bytes, image_bytes);
  int label = data.labels[index];
  std::string_view noun = kFashionMnistClasses[label];
  std::string caption = demo_caption(noun, options.seed * 1000003ULL + index * 2 + (split == "test"));
  std::string key = demo_sample_key(index);

  Sample sample;
  sample.key = key;
  sample.add("jpg", encode_jpeg(pixels, data.cols, data.rows, 1, options.jpeg_quality));
  sample.add("txt", caption);
  json meta = {{"key", key},          {"uid", demo_uid(options.seed, split, index)},
               {"caption", caption},  {"url", fmt::format("fashion-mnist://{}/{}", split, index)},
               {"status", "success"}, {"width", data.cols},
               {"height", data.rows}, {"label", label},
               {"class", noun},       {"split", split}};
  sample.add("json", meta.dump());
  return sample;
}

DemoSplitSummary write_split(const FashionMnistSplit& data, std::string_view split, std::uint64_t limit,
                             const DemoOptions& options, ThreadPool& pool) {
  DemoSplitSummary summary;
  summary.name = std::string(split);
  std::uint64_t count = limit == 0 ? data.size() : std::min<std::uint64_t>(limit, data.size());
  std::uint64_t shards = (count + options.shard_size - 1) / options.shard_size;
  fs::path dir = options.out / split;
  summary.shards.resize(shards);
  std::vector<std::uint64_t> shard_bytes(shards);

  Progress progress(fmt::format("make-demo {}", split), count, "samples");
  // One writer per shard: shards are independent, so the bytes do not depend on threads.
  pool.parallel_for(shards, [&](std::size_t s) {
    ShardWriterOptions wo;
    wo.max_samples = 0;
    wo.max_bytes = 0;
    wo.first_index = s;
    ShardWriter writer((dir / "{:05d}.tar").string(), wo);
    std::uint64_t begin = s * options.shard_size;
    std::uint64_t end = std::min(count, begin + options.shard_size);
    for (std::uint64_t i = begin; i < end; ++i) {
      throw_if_interrupted("make-demo");
      writer.write(demo_sample(data, split, i, options));
      progress.add();
    }
    ShardWriterResult result = writer.close();
    summary.shards[s] = fs::path(result.shards.at(0).path).lexically_relative(options.out).string();
    shard_bytes[s] = result.bytes;
  });
  progress.finish();
  summary.samples = count;
  for (auto b : shard_bytes) summary.bytes += b;
  summary.per_class.assign(kFashionMnistClasses.size(), 0);
  for (std::uint64_t i = 0; i < count; ++i) summary.per_class[data.labels[i]]++;
  return summary;
}

// Only what make-demo writes (train/, test/, sft/, demo.json): a set, or one that a failed or
// interrupted run left without its demo.json.
bool holds_only_demo_files(const fs::path& out) {
  for (const auto& entry : fs::directory_iterator(out)) {
    const std::string name = entry.path().filename().string();
    bool ours = entry.is_directory() ? (name == "train" || name == "test" || name == "sft")
                                     : name == kSummaryFile;
    if (!ours) return false;
  }
  return true;
}

// The output folder must be new, empty, or an earlier (possibly unfinished) demo data set, which
// is replaced.
void prepare_out_dir(const fs::path& out) {
  std::error_code ec;
  if (fs::exists(out) && !fs::is_directory(out)) fail("--out '{}' is not a folder", out.string());
  if (fs::exists(out) && !holds_only_demo_files(out)) {
    fail("--out '{}' is not empty and holds no demo data set; choose a new folder", out.string());
  }
  for (const char* split : {"train", "test"}) {
    if (!fs::exists(out / split)) continue;
    for (const auto& entry : fs::directory_iterator(out / split)) {
      if (entry.path().extension() == ".tar") fs::remove(entry.path(), ec);
    }
  }
  fs::remove(out / kSummaryFile, ec);
  fs::create_directories(out, ec);
  if (ec) fail("cannot create --out '{}': {}", out.string(), ec.message());
}

}  // namespace

std::string demo_sample_key(std::uint64_t index) { return fmt::format("{:09d}", index); }

DemoSummary make_demo_dataset(const DemoOptions& options) {
  if (options.out.empty()) fail("make-demo needs an output folder (--out)");
  if (options.shard_size == 0) fail("--shard-size must be at least 1");
  if (options.jpeg_quality < 1 || options.jpeg_quality > 100) fail("--jpeg-quality must be 1..100");

  fs::path summary_path = options.out / kSummaryFile;
  if (fs::exists(summary_path)) {
    try {
      json old = json::parse(read_file(summary_path));
      DemoSummary reused;
      reused.reused = true;
      reused.sft = std::string(kDemoSftFile);
      // A set made before the SFT file existed is rebuilt (demo.json itself is unchanged).
      bool complete = old.at("options") == options_json(options) && fs::exists(options.out / kDemoSftFile);
      if (complete) {
        for (const auto& s : old.at("splits")) {
          DemoSplitSummary split;
          split.name = s.at("name");
          split.samples = s.at("samples");
          split.bytes = s.at("bytes");
          split.shards = s.at("shards").get<std::vector<std::string>>();
          split.per_class = s.at("per_class").get<std::vector<std::uint64_t>>();
          for (const auto& shard : split.shards) complete = complete && fs::exists(options.out / shard);
          reused.splits.push_back(std::move(split));
        }
      }
      if (complete) return reused;
    } catch (const json::exception&) {
      // A damaged or different summary: the set is rebuilt below.
    }
  }

  prepare_out_dir(options.out);
  ThreadPool pool(options.threads);
  DemoSummary summary;
  json splits = json::array();
  for (auto [split, limit] : {std::pair<const char*, std::uint64_t>{"train", options.train_samples},
                              {"test", options.test_samples}}) {
    FashionMnistSplit data = read_fashion_mnist(options.source, split);
    DemoSplitSummary s = write_split(data, split, limit, options, pool);
    if (s.name == "train") {
      fs::create_directories((options.out / kDemoSftFile).parent_path());
      write_file_atomic(options.out / kDemoSftFile, demo_sft_jsonl(data, s.samples));
      summary.sft = std::string(kDemoSftFile);
    }
    splits.push_back({{"name", s.name},
                      {"samples", s.samples},
                      {"bytes", s.bytes},
                      {"shards", s.shards},
                      {"per_class", s.per_class}});
    summary.splits.push_back(std::move(s));
  }
  json doc = {{"dataset", "fashion-mnist demo (oqvl data make-demo)"},
              {"classes", kFashionMnistClasses},
              {"options", options_json(options)},
              {"splits", splits}};
  write_file_atomic(summary_path, doc.dump(2) + "\n");
  return summary;
}

}  // namespace oqvl::data
