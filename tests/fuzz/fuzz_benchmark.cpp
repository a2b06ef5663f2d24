// Benchmark files (eval/benchmark.h, vqa_json.h, python_literal.h): VLMEvalKit TSVs, JSONL, the
// public VQA question files and the Python-list cells of MMMU / MathVista. The first byte picks
// the reader, the benchmark kind and the options.
#include <cstdint>

#include "fuzz_util.h"
#include "oqvl/eval/benchmark.h"
#include "oqvl/eval/python_literal.h"
#include "oqvl/eval/vqa_json.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  std::string_view rest = fuzz::text(data + 1, size - 1);
  eval::ReadOptions options;
  constexpr eval::BenchKind kKinds[] = {eval::BenchKind::kMMBench, eval::BenchKind::kSEEDBench,
                                        eval::BenchKind::kMMStar,  eval::BenchKind::kMathVista,
                                        eval::BenchKind::kOpen,    eval::BenchKind::kGeneric,
                                        eval::BenchKind::kPOPE,    eval::BenchKind::kAI2D,
                                        eval::BenchKind::kTextVQA, eval::BenchKind::kMMMU};
  if ((flags >> 4) < std::size(kKinds)) options.kind = kKinds[flags >> 4];
  options.skip_malformed = flags & 4;
  options.require_answer = flags & 8;
  // A folder that does not exist: relative image paths resolve under it and are never read here.
  const std::filesystem::path file = "/nonexistent-oqvl-fuzz/bench.tsv";
  fuzz::expect_ok_or_error([&] {
    switch (flags & 3) {
      case 0: eval::read_tsv_benchmark(rest, file, options); break;
      case 1: eval::read_jsonl_benchmark(rest, file, options); break;
      case 2: eval::read_vqa_json_benchmark(rest, file, options); break;
      default: eval::parse_python_list(rest); break;
    }
  });
  return 0;
}
