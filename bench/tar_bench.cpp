// Tar shard reading throughput, compared with Python's webdataset by bench/run_tar_bench.sh.
//
//   tar_bench make DIR [SHARDS=4] [SAMPLES=1000] [IMAGE_BYTES=50000]   write test shards
//   tar_bench read [--repeat R] SHARDS...                             time reading them
//
// `read` goes through every sample of every shard (all member bytes loaded into the Sample,
// as the training loader would), once untimed to warm the page cache, then R timed passes;
// it prints the best pass as MB/s of shard bytes (1 MB = 1e6 bytes).
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "oqvl/core/error.h"
#include "oqvl/data/io/shard_list.h"
#include "oqvl/data/io/tar_reader.h"
#include "oqvl/data/io/tar_writer.h"

namespace {
namespace fs = std::filesystem;
using namespace oqvl::data;

int make(const std::vector<std::string>& args) {
  if (args.empty()) oqvl::fail("usage: tar_bench make DIR [SHARDS] [SAMPLES] [IMAGE_BYTES]");
  std::uint64_t shards = args.size() > 1 ? std::stoull(args[1]) : 4;
  std::uint64_t per_shard = args.size() > 2 ? std::stoull(args[2]) : 1000;
  std::uint64_t image_bytes = args.size() > 3 ? std::stoull(args[3]) : 50000;
  std::mt19937_64 rng(7);
  ShardWriter writer((fs::path(args[0]) / "%05d.tar").string(),
                     {.max_samples = per_shard, .max_bytes = 0});
  for (std::uint64_t i = 0; i < shards * per_shard; ++i) {
    Sample s;
    s.key = fmt::format("{:09d}", i);
    // Random bytes around the requested size (+-25%), like JPEGs of varying size.
    std::string img(image_bytes * 3 / 4 + rng() % (image_bytes / 2 + 1), '\0');
    for (std::size_t k = 0; k + 8 <= img.size(); k += 8) {
      std::uint64_t r = rng();
      std::memcpy(img.data() + k, &r, 8);
    }
    s.add("jpg", std::move(img));
    s.add("txt", fmt::format("a photo number {} of something quite ordinary, for the benchmark", i));
    s.add("json", fmt::format("{{\"uid\": \"{:016x}\", \"key\": \"{:09d}\"}}", rng(), i));
    writer.write(s);
  }
  auto r = writer.close();
  fmt::print("wrote {} shards, {} samples, {} bytes\n", r.shards.size(), r.samples, r.bytes);
  return 0;
}

// One pass over all shards; returns (samples, shard bytes).
std::pair<std::uint64_t, std::uint64_t> read_once(const std::vector<std::string>& shards) {
  std::uint64_t samples = 0, payload = 0;
  ShardReader reader(shards);
  while (auto s = reader.next()) {
    ++samples;
    payload += s->payload_bytes();
  }
  std::uint64_t bytes = 0;
  for (const auto& p : shards) bytes += fs::file_size(p);
  if (payload == 0) oqvl::fail("no sample bytes read");
  return {samples, bytes};
}

int read(std::vector<std::string> args) {
  int repeat = 5;
  if (args.size() >= 2 && args[0] == "--repeat") {
    repeat = std::stoi(args[1]);
    args.erase(args.begin(), args.begin() + 2);
  }
  auto shards = expand_shard_specs(args);
  read_once(shards);  // warm the page cache: the numbers are warm-cache numbers
  double best = 1e30;
  std::pair<std::uint64_t, std::uint64_t> n;
  for (int r = 0; r < repeat; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    n = read_once(shards);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
  }
  fmt::print("cpp: {} shards, {} samples, {:.1f} MB in {:.4f} s (best of {}): {:.1f} MB/s, "
             "{:.0f} samples/s\n", shards.size(), n.first, n.second / 1e6, best, repeat,
             n.second / 1e6 / best, n.first / best);
  fmt::print("cpp_mb_per_s={:.1f}\n", n.second / 1e6 / best);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (!args.empty() && args[0] == "make") return make({args.begin() + 1, args.end()});
    if (!args.empty() && args[0] == "read") return read({args.begin() + 1, args.end()});
    fmt::print(stderr, "usage: tar_bench make DIR [SHARDS] [SAMPLES] [IMAGE_BYTES]\n"
                       "       tar_bench read [--repeat R] SHARDS...\n");
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "tar_bench: {}\n", e.what());
    return 2;
  }
}
