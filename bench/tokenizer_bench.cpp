// Tokenizer throughput: load time, single-thread encode and encode_batch on the corpus's
// English captions replicated to ~2 MB. bench/tokenizer_bench.py does the same with Hugging
// Face tokenizers; bench/run_tokenizer_bench.sh runs both and prints the ratios.
// Usage: tokenizer_bench [tokenizer.json] [corpus.jsonl] [threads] [copies] [captions|all]
// ("all": every corpus text, 12+ scripts, code, emoji; a harder mix than captions)
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "oqvl/core/thread_pool.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<std::string> bench_texts(const std::string& corpus, int copies, const std::string& set) {
  std::vector<std::string> captions;
  std::ifstream in(corpus);
  std::string line;
  while (std::getline(in, line)) {
    auto row = nlohmann::json::parse(line);
    if (row.contains("_comment")) continue;
    if (set == "all" || row.value("category", "") == "caption") captions.push_back(row["text"].get<std::string>());
  }
  std::vector<std::string> texts;
  for (int c = 0; c < copies; ++c) texts.insert(texts.end(), captions.begin(), captions.end());
  return texts;
}

}  // namespace

int main(int argc, char** argv) {
  std::string tokenizer_path = argc > 1 ? argv[1] : "assets/qwen2-tokenizer/tokenizer.json";
  std::string corpus = argc > 2 ? argv[2] : "tests/fixtures/tokenizer/corpus.jsonl";
  int threads = argc > 3 ? std::stoi(argv[3]) : static_cast<int>(std::thread::hardware_concurrency());
  int copies = argc > 4 ? std::stoi(argv[4]) : 50;
  std::string set = argc > 5 ? argv[5] : "captions";

  auto t0 = std::chrono::steady_clock::now();
  auto tokenizer = oqvl::data::load_qwen2vl_tokenizer(tokenizer_path);
  double load_s = seconds_since(t0);

  std::vector<std::string> texts = bench_texts(corpus, copies, set);
  std::size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();

  // Best of 3 runs each; the first run also warms the per-thread word cache, as a long data
  // pipeline would be.
  std::size_t tokens = 0;
  std::uint64_t checksum = 0;
  double single_s = 1e9;
  for (int rep = 0; rep < 3; ++rep) {
    t0 = std::chrono::steady_clock::now();
    tokens = 0;
    checksum = 0;
    std::vector<std::int32_t> ids;
    for (const auto& t : texts) {
      ids.clear();
      tokenizer.encode_append(t, ids);
      tokens += ids.size();
      for (auto id : ids) checksum = checksum * 31 + static_cast<std::uint64_t>(id);
    }
    single_s = std::min(single_s, seconds_since(t0));
  }
  // One pool for all runs, as a data pipeline keeps one (HF's rayon pool is global too): its
  // threads keep their word caches warm between batches.
  oqvl::ThreadPool pool(threads);
  double batch_s = 1e9;
  for (int rep = 0; rep < 3; ++rep) {
    t0 = std::chrono::steady_clock::now();
    auto batch = tokenizer.encode_batch(texts, pool);
    batch_s = std::min(batch_s, seconds_since(t0));
  }
  fmt::print("{{\"impl\": \"oqvl\", \"texts\": {}, \"bytes\": {}, \"tokens\": {}, \"checksum\": {}, "
             "\"load_s\": {:.4f}, \"single_tokens_per_s\": {:.0f}, \"batch_threads\": {}, "
             "\"batch_tokens_per_s\": {:.0f}}}\n",
             texts.size(), bytes, tokens, checksum, load_s, tokens / single_s, threads,
             tokens / batch_s);
}
