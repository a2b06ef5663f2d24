// Benchmark questions as the evaluation layer sees them, and readers for the two on-disk
// formats: the TSV layout that public evaluation kits (VLMEvalKit) distribute for MMBench,
// SEED-Bench, MMStar, MathVista and the open-answer VQA sets, and a plain JSONL format (multiple
// choice or open answers; images as files or base64). Errors: oqvl::Error as "FILE: line N: what".
// No torch here: the runner that drives a model builds on these types.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace oqvl::eval {

// One question. Multiple-choice items have options (letter -> text, in letter order, absent
// options left out); free-form items (MathVista) have none.
struct McItem {
  std::string index;        // the file's question id, as written
  std::string image_bytes;  // encoded image (JPEG/PNG/WebP), decoded from base64; or empty...
  std::string image_path;   // ...and the image's file (absolute) instead
  // Images 2..N of a multi-image question (MMMU: VLMEvalKit's image cell holding a list of
  // base64 images), encoded; item_images() returns them after the first.
  std::vector<std::string> more_images;
  std::string question;
  std::string hint;  // empty when absent
  std::vector<std::pair<std::string, std::string>> options;
  std::string answer;  // the option letter, or the free-form answer text
  // Open kind only (empty otherwise): every reference answer, e.g. VQAv2's 10 annotators';
  // `answer` is then the file's `answer`, else the first of these.
  std::vector<std::string> answers;
  std::string category, l2_category;
  std::string question_type = "multi_choice";  // multi_choice | free_form
  std::string answer_type = "text";            // text | integer | float | list
  int precision = -1;                          // decimals of a float answer, -1 = unset
  std::string unit;
  std::vector<std::string> choices;  // MathVista's choice texts (also in options)
  std::int64_t row = 0;              // 1-based line of the file where the item starts
  nlohmann::json extra = nlohmann::json::object();  // other columns, by name

  bool multiple_choice() const { return !options.empty(); }
  // The option text for `letter`, or nullptr.
  const std::string* option(std::string_view letter) const;
};

// Which benchmark a file holds: decides the prompt and the scoring rule. kOpen: open-answer
// questions (VQAv2, GQA, VizWiz, OK-VQA style) scored by VQA-normalised exact match
// (vqa_answer.h); kTextVQA: TextVQA val with the harness's m4c scoring (textvqa_answer.h) and
// OCR tokens in the prompt; kPOPE: yes/no questions per split (pope.h); kAI2D: multiple choice
// scored by the letter the model rates most likely; kMMMU: MMMU val (multi-image, MMMU's
// parsers).
enum class BenchKind {
  kMMBench,
  kSEEDBench,
  kMMStar,
  kMathVista,
  kOpen,
  kGeneric,
  kPOPE,
  kAI2D,
  kTextVQA,
  kMMMU
};

// "mmbench", "seedbench", "mmstar", "mathvista", "open", "generic", "pope", "ai2d", "textvqa",
// "mmmu".
std::string_view bench_kind_name(BenchKind kind);
// Parses those names (case-insensitive; also "seed", "mathvista_mini", "vqa", "vqav2", "gqa",
// "vizwiz", "okvqa" for open, "text_vqa", "ai2d_test", "mmmu_dev_val"); throws oqvl::Error.
BenchKind parse_bench_kind(std::string_view name);
// From a file name as the kits name them (MMBench_DEV_EN.tsv, SEEDBench_IMG.tsv, MMStar.tsv,
// MathVista_MINI.tsv, POPE.tsv, AI2D_TEST.tsv, TextVQA_VAL.tsv, MMMU_DEV_VAL.tsv; VQAv2, GQA,
// VizWiz, OK-VQA -> kOpen; case-insensitive substring); kGeneric otherwise. The readers also
// pick kOpen for a generic-named file whose questions have no options but answers (no A-Z or
// choices column / no "options" key).
BenchKind detect_bench_kind(const std::filesystem::path& file);

// The kinds whose questions have no options and one or more reference answers (kOpen, kPOPE,
// kTextVQA): read like open answers (McItem::answers).
bool open_answer_kind(BenchKind kind);

// kVqaJson: the public question files of VQAv2, OK-VQA, GQA, VizWiz, TextVQA (eval/vqa_json.h).
enum class BenchFormat { kAuto, kTsv, kJsonl, kVqaJson };
// "auto", "tsv", "jsonl", "vqa-json"; throws oqvl::Error.
BenchFormat parse_bench_format(std::string_view name);
// kTsv or kJsonl from the extension (.tsv / .jsonl; a .json file is kVqaJson when it is one JSON
// document in one of those layouts, else JSONL), else from the first line (a JSON object or a
// tab-separated header); throws oqvl::Error when neither fits.
BenchFormat detect_bench_format(const std::filesystem::path& file);

struct ReadOptions {
  BenchFormat format = BenchFormat::kAuto;
  // The benchmark kind (prompt + scoring rule); unset = detect_bench_kind(file name).
  std::optional<BenchKind> kind;
  // Malformed rows: false -> throw oqvl::Error naming file and line; true -> skip and count.
  bool skip_malformed = false;
  // Multiple-choice items must have an answer among their option letters. Off for test
  // splits that ship without answers (the answer is then kept as written, possibly empty).
  bool require_answer = true;
  // kVqaJson only: VQAv2 / OK-VQA's annotations file (the answers), and the folder holding the
  // images (empty = the question file's folder).
  std::filesystem::path annotations;
  std::filesystem::path images;
};

struct Benchmark {
  std::filesystem::path file;
  BenchKind kind = BenchKind::kGeneric;
  std::vector<McItem> items;
  std::int64_t skipped = 0;
  std::vector<std::string> skip_reasons;  // the first few, for the log
};

// A malformed entry: throws oqvl::Error(message), or with options.skip_malformed counts it in
// bench.skipped and keeps the first few messages in bench.skip_reasons.
void record_malformed(Benchmark& bench, const ReadOptions& options, std::string message);

inline constexpr std::size_t kMaxSkipReasons = 10;

// Reads a benchmark file.
Benchmark read_benchmark(const std::filesystem::path& file, const ReadOptions& options = {});

// The item's encoded image: image_bytes, or the contents of image_path (throws oqvl::Error
// naming the file and the item when it cannot be read).
std::string item_image_bytes(const McItem& item);
// Every image of the item, in order: item_image_bytes(item), then more_images.
std::vector<std::string> item_images(const McItem& item);

// The two formats directly (text = the file's contents; `file` names it in errors and anchors
// relative image paths).
Benchmark read_tsv_benchmark(std::string_view text, const std::filesystem::path& file,
                             const ReadOptions& options = {});
Benchmark read_jsonl_benchmark(std::string_view text, const std::filesystem::path& file,
                               const ReadOptions& options = {});

}  // namespace oqvl::eval
