#include "oqvl/eval/benchmark.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <unordered_map>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/json.h"
#include "oqvl/core/strings.h"
#include "oqvl/data/io/base64.h"
#include "oqvl/data/image/image.h"
#include "oqvl/data/io/tsv.h"
#include "oqvl/eval/python_literal.h"
#include "oqvl/eval/vqa_json.h"

namespace oqvl::eval {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

// A problem with one row; becomes "FILE: line N: what" or a skip.
struct RowError {
  std::string what;
};

std::string letter(std::size_t i) {
  return std::string(1, static_cast<char>('A' + i));
}

// Pushes a row's problem into the result or throws, per options.
void handle_row_error(Benchmark& bench, const ReadOptions& options, std::int64_t line,
                      const std::string& what) {
  record_malformed(bench, options, fmt::format("{}: line {}: {}", bench.file.string(), line, what));
}

// Options from choice texts (MathVista): A, B, ... in order.
void set_choices(McItem& item, std::vector<std::string> choices) {
  item.options.clear();
  for (std::size_t i = 0; i < choices.size(); ++i) item.options.emplace_back(letter(i), choices[i]);
  item.choices = std::move(choices);
}

// The checks every reader applies to a finished multiple-choice item.
void check_answer(const McItem& item, const ReadOptions& options) {
  if (!item.multiple_choice() || !options.require_answer) return;
  if (item.answer.empty()) throw RowError{"no answer"};
  if (!item.option(item.answer)) {
    std::string letters;
    for (const auto& [l, text] : item.options) letters += l;
    throw RowError{fmt::format("answer '{}' is not one of the options {}", item.answer, letters)};
  }
}

std::string decode_image(std::string_view cell) {
  std::optional<std::string> bytes = data::base64_decode(cell);
  if (!bytes) throw RowError{"image column is not valid base64"};
  if (data::sniff_image_format(data::as_bytes(*bytes)) == data::ImageFormat::kUnknown) {
    throw RowError{"image column decodes to bytes that are not a JPEG, PNG or WebP image"};
  }
  return std::move(*bytes);
}

// An open question's references from one text: a Python/JSON list literal ("['2', 'two']", as
// VLMEvalKit's TextVQA TSV writes its 10 answers) or a single answer.
std::vector<std::string> answer_list(const std::string& text) {
  std::string_view t = trim(text);
  if (t.size() >= 2 && t.front() == '[' && t.back() == ']') {
    try {
      return parse_python_list(t);
    } catch (const Error& e) {
      throw RowError{fmt::format("answers: {}", e.what())};
    }
  }
  if (t.empty()) return {};
  return {text};
}

// The open kind's rules for a finished item: no options, references in `answers`, `answer`
// the first reference unless the file gave one.
void set_open_answers(McItem& item, std::vector<std::string> answers, const ReadOptions& options) {
  if (item.multiple_choice())
    throw RowError{"an open-answer question with options (pass another --kind for multiple choice)"};
  std::erase_if(answers, [](const std::string& a) { return trim(a).empty(); });
  item.answers = std::move(answers);
  if (!item.answers.empty() && (trim(item.answer).empty() || trim(item.answer).starts_with('[')))
    item.answer = item.answers[0];
  if (options.require_answer && item.answers.empty()) throw RowError{"no answer"};
  item.question_type = "free_form";
}

// POPE's ground truth is "yes" or "no" (the harness asserts it); kept lower-case.
void check_pope_answer(McItem& item, const ReadOptions& options) {
  std::string a = ascii_lower(trim(item.answer));
  if (a.empty() && !options.require_answer) return;
  if (a != "yes" && a != "no")
    throw RowError{fmt::format("POPE answer '{}' is neither yes nor no", item.answer)};
  item.answer = a;
  item.answers = {a};
}

// ---- TSV ----

// An open-answer TSV: no option letter or choices column, an answer column.
bool open_columns(const std::vector<std::string>& header) {
  bool answer = false;
  for (const std::string& name : header) {
    if (name.size() == 1 && name[0] >= 'A' && name[0] <= 'Z') return false;
    if (name == "choices") return false;
    if (name == "answer" || name == "answers") answer = true;
  }
  return answer;
}

struct Columns {
  std::unordered_map<std::string, std::size_t> by_name;
  std::optional<std::size_t> find(std::string_view name) const {
    auto it = by_name.find(std::string(name));
    if (it == by_name.end()) return std::nullopt;
    return it->second;
  }
};

// Cell text, or "" when the column is absent or the cell is one of pandas' NaN markers.
std::string cell(const data::TsvRecord& r, const Columns& cols, std::string_view name) {
  auto i = cols.find(name);
  if (!i) return {};
  const std::string& v = r.fields[*i];
  return data::is_pandas_na(v) ? std::string() : v;
}

int parse_precision(const std::string& text) {
  if (text.empty()) return -1;
  // pandas writes a column of ints with NaNs as floats ("2.0").
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || v < 0 || v > 20 || v != static_cast<int>(v)) {
    throw RowError{fmt::format("precision '{}' is not a small whole number", text)};
  }
  return static_cast<int>(v);
}

McItem tsv_item(const data::TsvRecord& r, const Columns& cols, const std::vector<std::string>& header,
                const std::string& image_cell, const fs::path& folder, const ReadOptions& options,
                BenchKind kind) {
  const bool open = open_answer_kind(kind);
  McItem item;
  item.row = r.line;
  item.index = r.fields[*cols.find("index")];
  if (trim(item.index).empty()) throw RowError{"empty index"};
  item.question = cell(r, cols, "question");
  item.hint = cell(r, cols, "hint");
  if (cols.find("image")) {
    std::string_view t = trim(image_cell);
    if (t.starts_with('[')) {
      // VLMEvalKit's multi-image questions (MMMU): a list literal of base64 images.
      std::vector<std::string> cells;
      try {
        cells = parse_python_list(t);
      } catch (const Error& e) {
        throw RowError{fmt::format("image list: {}", e.what())};
      }
      if (cells.empty()) throw RowError{"empty image list"};
      item.image_bytes = decode_image(cells[0]);
      for (std::size_t i = 1; i < cells.size(); ++i) item.more_images.push_back(decode_image(cells[i]));
    } else {
      item.image_bytes = decode_image(image_cell);
    }
  } else {
    std::string path = cell(r, cols, "image_path");
    if (path.empty()) throw RowError{"empty image_path"};
    fs::path p = fs::path(path).is_absolute() ? fs::path(path) : folder / path;
    std::error_code ec;  // a name too long to look up is "not found", not a filesystem_error
    if (!fs::is_regular_file(p, ec)) throw RowError{fmt::format("image file {} not found", p.string())};
    item.image_path = fs::absolute(p).lexically_normal().string();
  }

  // Options: the letter columns that hold text. A pandas NaN cell means no such option, and
  // the kits keep the other letters as they are (A, B, D when C is empty).
  for (char c = 'A'; c <= 'Z'; ++c) {
    std::string text = cell(r, cols, std::string(1, c));
    if (!text.empty()) item.options.emplace_back(std::string(1, c), text);
  }
  item.answer = cell(r, cols, "answer");
  if (open) {
    std::string refs = cell(r, cols, "answers");
    set_open_answers(item, answer_list(refs.empty() ? item.answer : refs), options);
  }
  if (kind == BenchKind::kPOPE) check_pope_answer(item, options);
  if (std::string ocr = cell(r, cols, "ocr_tokens"); !ocr.empty()) {
    try {
      item.extra["ocr_tokens"] = parse_python_list(ocr);
    } catch (const Error& e) {
      throw RowError{fmt::format("ocr_tokens: {}", e.what())};
    }
  }
  item.category = cell(r, cols, "category");
  if (item.category.empty()) item.category = cell(r, cols, "task");  // MathVista
  item.l2_category = cell(r, cols, "l2-category");
  if (item.l2_category.empty()) item.l2_category = cell(r, cols, "l2_category");
  item.unit = cell(r, cols, "unit");
  item.precision = parse_precision(cell(r, cols, "precision"));
  if (std::string t = cell(r, cols, "answer_type"); !t.empty()) item.answer_type = t;

  // MathVista: choices as a Python list literal; the answer column holds the choice's text,
  // `answer_option` (when present) its letter.
  std::string qtype = cell(r, cols, "question_type");
  if (qtype == "multiple-choice") qtype = "multi_choice";  // MMMU's names
  if (qtype == "open") qtype = "free_form";
  std::string choices = cell(r, cols, "choices");
  if (!choices.empty() && qtype != "free_form") {
    if (!item.options.empty()) throw RowError{"both option columns and a choices list"};
    try {
      set_choices(item, parse_python_list(choices));
    } catch (const Error& e) {
      throw RowError{fmt::format("choices: {}", e.what())};
    }
    std::string answer_text = item.answer;
    item.extra["answer_text"] = answer_text;
    std::string answer_option = cell(r, cols, "answer_option");
    if (!answer_option.empty()) {
      item.answer = answer_option;
    } else if (!answer_text.empty()) {
      auto it = std::find(item.choices.begin(), item.choices.end(), answer_text);
      if (it == item.choices.end()) {
        throw RowError{fmt::format("answer '{}' is not one of the choices", answer_text)};
      }
      item.answer = letter(static_cast<std::size_t>(it - item.choices.begin()));
    }
  }
  if (!qtype.empty()) {
    if (qtype != "multi_choice" && qtype != "free_form") {
      throw RowError{
          fmt::format("question_type '{}' is neither multi_choice nor free_form", qtype)};
    }
    item.question_type = qtype;
  } else {
    item.question_type = item.options.empty() ? "free_form" : "multi_choice";
  }
  if (item.question_type == "multi_choice" && item.options.empty()) {
    throw RowError{"a multi_choice question without options"};
  }
  if (item.question_type == "free_form") {
    item.options.clear();
    if (options.require_answer && trim(item.answer).empty()) throw RowError{"no answer"};
  }
  check_answer(item, options);

  static const std::vector<std::string> kConsumed = {
      "index",         "image",       "image_path",    "question",  "hint",      "answer",
      "category",      "l2-category", "l2_category",   "unit",      "precision", "answer_type",
      "question_type", "choices",     "answer_option", "ocr_tokens"};
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string& name = header[i];
    if (name.size() == 1 && name[0] >= 'A' && name[0] <= 'Z') continue;
    if (std::find(kConsumed.begin(), kConsumed.end(), name) != kConsumed.end()) continue;
    if (open && name == "answers") continue;
    if (data::is_pandas_na(r.fields[i])) continue;
    item.extra[name] = r.fields[i];
  }
  return item;
}

// ---- JSONL ----

std::string json_text(const json& v, const char* what) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number()) return v.dump();
  throw RowError{fmt::format("'{}' is neither a string nor a number", what)};
}

// Long strings that decode to an image are embedded images; anything else is a path.
constexpr std::size_t kMinEmbeddedImageChars = 64;

void set_jsonl_image(McItem& item, const std::string& value, const fs::path& folder) {
  if (value.size() >= kMinEmbeddedImageChars) {
    std::optional<std::string> bytes = data::base64_decode(value);
    if (bytes && data::sniff_image_format(data::as_bytes(*bytes)) != data::ImageFormat::kUnknown) {
      item.image_bytes = std::move(*bytes);
      return;
    }
  }
  fs::path p = value;
  if (!p.is_absolute()) p = folder / p;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) {
    throw RowError{value.size() >= kMinEmbeddedImageChars
                       ? "'image' is neither base64 image data nor an image file"
                       : fmt::format("image file {} not found", p.string())};
  }
  item.image_path = fs::absolute(p).lexically_normal().string();
}

// "answers": a list of strings / numbers, or of VQAv2's {"answer": ...} objects.
std::vector<std::string> json_answers(const json& v) {
  if (v.is_string()) return answer_list(v.get<std::string>());
  if (!v.is_array()) throw RowError{"'answers' is not a list"};
  std::vector<std::string> out;
  for (const json& a : v) {
    const bool vqa_object = a.is_object() && a.contains("answer");
    out.push_back(json_text(vqa_object ? a["answer"] : a, "answers"));
  }
  return out;
}

McItem jsonl_item(const json& j, std::int64_t line, const fs::path& folder, const ReadOptions& options,
                  bool open) {
  if (!j.is_object()) throw RowError{"not a JSON object"};
  McItem item;
  item.row = line;
  bool has_id = false;
  for (const char* key : {"id", "question_id", "index"}) {
    if (!j.contains(key)) continue;
    item.index = json_text(j[key], key);
    has_id = true;
    break;
  }
  if (!has_id) throw RowError{"no 'id', 'question_id' or 'index'"};
  if (!j.contains("question")) throw RowError{"no 'question'"};
  item.question = json_text(j["question"], "question");
  if (j.contains("hint") && !j["hint"].is_null()) item.hint = json_text(j["hint"], "hint");
  if (!j.contains("image") || !j["image"].is_string())
    throw RowError{"no 'image' (a path or base64 image data)"};
  set_jsonl_image(item, j["image"].get<std::string>(), folder);

  if (j.contains("options")) {
    const json& o = j["options"];
    if (o.is_array()) {
      std::vector<std::string> texts;
      for (const json& t : o) texts.push_back(json_text(t, "options"));
      for (std::size_t i = 0; i < texts.size(); ++i) item.options.emplace_back(letter(i), texts[i]);
    } else if (o.is_object()) {
      std::map<std::string, std::string> sorted;
      for (auto it = o.begin(); it != o.end(); ++it)
        sorted[it.key()] = json_text(it.value(), "options");
      std::size_t i = 0;
      for (const auto& [k, v] : sorted) {
        if (k != letter(i++))
          throw RowError{fmt::format("option keys must be A, B, C, ... (got '{}')", k)};
        item.options.emplace_back(k, v);
      }
    } else {
      throw RowError{"'options' is neither a list nor an object"};
    }
    if (item.options.size() > 26) throw RowError{"more than 26 options"};
  }
  if (j.contains("answer") && !j["answer"].is_null())
    item.answer = json_text(j["answer"], "answer");
  // An answer given as the option's text instead of its letter.
  if (item.multiple_choice() && !item.option(item.answer)) {
    for (const auto& [l, text] : item.options)
      if (text == item.answer) {
        item.extra["answer_text"] = item.answer;
        item.answer = l;
        break;
      }
  }
  if (open) {
    std::vector<std::string> refs;
    if (j.contains("answers") && !j["answers"].is_null()) refs = json_answers(j["answers"]);
    else if (!item.answer.empty()) refs = answer_list(item.answer);
    set_open_answers(item, std::move(refs), options);
  }
  if (j.contains("category") && !j["category"].is_null())
    item.category = json_text(j["category"], "category");
  if (j.contains("l2_category") && !j["l2_category"].is_null())
    item.l2_category = json_text(j["l2_category"], "l2_category");
  if (!open) item.question_type = item.multiple_choice() ? "multi_choice" : "free_form";
  if (!item.multiple_choice() && options.require_answer && trim(item.answer).empty())
    throw RowError{"no answer"};
  check_answer(item, options);
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const std::vector<std::string> kConsumed = {"id",       "question_id", "index",   "question",
                                                       "hint",     "image",       "options", "answer",
                                                       "category", "l2_category"};
    if (open && it.key() == "answers") continue;
    if (std::find(kConsumed.begin(), kConsumed.end(), it.key()) == kConsumed.end())
      item.extra[it.key()] = it.value();
  }
  return item;
}

}  // namespace

void record_malformed(Benchmark& bench, const ReadOptions& options, std::string message) {
  if (!options.skip_malformed) throw Error(message);
  ++bench.skipped;
  if (bench.skip_reasons.size() < kMaxSkipReasons) bench.skip_reasons.push_back(std::move(message));
}

const std::string* McItem::option(std::string_view letter_) const {
  for (const auto& [l, text] : options)
    if (l == letter_) return &text;
  return nullptr;
}

std::string_view bench_kind_name(BenchKind kind) {
  switch (kind) {
    case BenchKind::kMMBench:
      return "mmbench";
    case BenchKind::kSEEDBench:
      return "seedbench";
    case BenchKind::kMMStar:
      return "mmstar";
    case BenchKind::kMathVista:
      return "mathvista";
    case BenchKind::kOpen: return "open";
    case BenchKind::kGeneric:
      return "generic";
    case BenchKind::kPOPE: return "pope";
    case BenchKind::kAI2D: return "ai2d";
    case BenchKind::kTextVQA: return "textvqa";
    case BenchKind::kMMMU: return "mmmu";
  }
  return "generic";
}

bool open_answer_kind(BenchKind kind) {
  return kind == BenchKind::kOpen || kind == BenchKind::kPOPE || kind == BenchKind::kTextVQA;
}

BenchKind parse_bench_kind(std::string_view name) {
  std::string n = ascii_lower(name);
  if (n == "mmbench") return BenchKind::kMMBench;
  if (n == "seedbench" || n == "seed" || n == "seedbench_img") return BenchKind::kSEEDBench;
  if (n == "mmstar") return BenchKind::kMMStar;
  if (n == "mathvista" || n == "mathvista_mini") return BenchKind::kMathVista;
  if (n == "open" || n == "vqa" || n == "vqav2" || n == "gqa" || n == "vizwiz" || n == "okvqa")
    return BenchKind::kOpen;
  if (n == "generic") return BenchKind::kGeneric;
  if (n == "pope") return BenchKind::kPOPE;
  if (n == "ai2d" || n == "ai2d_test") return BenchKind::kAI2D;
  if (n == "textvqa" || n == "text_vqa" || n == "textvqa_val") return BenchKind::kTextVQA;
  if (n == "mmmu" || n == "mmmu_dev_val" || n == "mmmu_val") return BenchKind::kMMMU;
  fail("unknown benchmark kind '{}' (mmbench, seedbench, mmstar, mathvista, open, generic, pope, ai2d, "
       "textvqa, mmmu)",
       name);
}

BenchKind detect_bench_kind(const fs::path& file) {
  std::string n = ascii_lower(file.filename().string());
  if (n.find("mmbench") != std::string::npos) return BenchKind::kMMBench;
  if (n.find("seedbench") != std::string::npos || n.find("seed_bench") != std::string::npos)
    return BenchKind::kSEEDBench;
  if (n.find("mmstar") != std::string::npos) return BenchKind::kMMStar;
  if (n.find("mathvista") != std::string::npos) return BenchKind::kMathVista;
  if (n.find("pope") != std::string::npos) return BenchKind::kPOPE;
  if (n.find("ai2d") != std::string::npos) return BenchKind::kAI2D;
  if (n.find("mmmu") != std::string::npos) return BenchKind::kMMMU;
  if (n.find("textvqa") != std::string::npos || n.find("text_vqa") != std::string::npos)
    return BenchKind::kTextVQA;
  for (const char* open : {"vqav2", "vqa_v2", "gqa", "vizwiz", "okvqa", "ok_vqa"})
    if (n.find(open) != std::string::npos) return BenchKind::kOpen;
  return BenchKind::kGeneric;
}

BenchFormat parse_bench_format(std::string_view name) {
  std::string n = ascii_lower(name);
  if (n == "auto") return BenchFormat::kAuto;
  if (n == "tsv") return BenchFormat::kTsv;
  if (n == "jsonl") return BenchFormat::kJsonl;
  if (n == "vqa-json" || n == "vqa_json") return BenchFormat::kVqaJson;
  fail("unknown benchmark format '{}' (auto, tsv, jsonl, vqa-json)", name);
}

BenchFormat detect_bench_format(const fs::path& file) {
  std::string ext = ascii_lower(file.extension().string());
  if (ext == ".tsv") return BenchFormat::kTsv;
  if (ext == ".jsonl") return BenchFormat::kJsonl;
  if (ext == ".json") {
    // One JSON document in a public VQA layout, else JSONL (a one-line JSONL file parses as one
    // document too, but has none of those layouts' keys).
    const json doc = json::parse(read_file(file), nullptr, /*allow_exceptions=*/false);
    return !doc.is_discarded() && detect_vqa_json_layout(doc) != VqaJsonLayout::kNone ? BenchFormat::kVqaJson
                                                                                      : BenchFormat::kJsonl;
  }
  std::string head(4096, '\0');
  {
    std::ifstream in(file, std::ios::binary);
    if (!in) fail("{}: cannot open", file.string());
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
  }
  std::size_t start = head.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (start != std::string::npos && head[start] == '{') return BenchFormat::kJsonl;
  std::string first_line = head.substr(0, head.find('\n'));
  if (first_line.find('\t') != std::string::npos) return BenchFormat::kTsv;
  fail(
      "{}: cannot tell the format (neither .tsv nor .jsonl, and the first line is neither a "
      "tab-separated header nor a JSON object); pass --format",
      file.string());
}

Benchmark read_tsv_benchmark(std::string_view text, const fs::path& file,
                             const ReadOptions& options) {
  Benchmark bench;
  bench.file = file;
  bench.kind = options.kind.value_or(detect_bench_kind(file));
  std::vector<data::TsvRecord> records = data::parse_tsv(text, file.string());
  if (records.empty()) fail("{}: empty file (no header row)", file.string());
  const std::vector<std::string>& header = records[0].fields;
  Columns cols;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (!cols.by_name.emplace(header[i], i).second)
      fail("{}: line 1: column '{}' appears twice", file.string(), header[i]);
  }
  for (const char* required : {"index", "question"})
    if (!cols.find(required))
      fail("{}: line 1: no '{}' column in the header", file.string(), required);
  if (!cols.find("image") && !cols.find("image_path"))
    fail("{}: line 1: no 'image' (base64) or 'image_path' column in the header", file.string());
  if (!options.kind && bench.kind == BenchKind::kGeneric && open_columns(header))
    bench.kind = BenchKind::kOpen;
  const bool open = open_answer_kind(bench.kind);
  if (options.require_answer && !cols.find("answer") && !(open && cols.find("answers")))
    fail("{}: line 1: no 'answer' column in the header", file.string());

  // MMBench stores each image once: rows showing the same image hold the index of the row
  // that has it (a short string) instead of the base64 text. Resolve those references first,
  // one level deep like the kits do.
  std::unordered_map<std::string, std::size_t> row_of_index;
  auto image_col = cols.find("image");
  for (std::size_t k = 1; k < records.size(); ++k) {
    if (records[k].fields.size() == header.size())
      row_of_index.emplace(records[k].fields[*cols.find("index")], k);
  }
  const fs::path folder = file.parent_path();
  for (std::size_t k = 1; k < records.size(); ++k) {
    const data::TsvRecord& r = records[k];
    try {
      if (r.fields.size() != header.size()) {
        throw RowError{fmt::format("{} fields, the header has {}", r.fields.size(), header.size())};
      }
      std::string image_cell;
      if (image_col) {
        image_cell = r.fields[*image_col];
        if (image_cell.size() <= 64) {
          auto it = row_of_index.find(std::string(trim(image_cell)));
          if (it == row_of_index.end()) {
            throw RowError{
                fmt::format("image '{}' is neither base64 image data nor the index of another row",
                            image_cell)};
          }
          image_cell = records[it->second].fields[*image_col];
          if (image_cell.size() <= 64) {
            throw RowError{
                fmt::format("image refers to row index {} whose image is itself a reference",
                            records[it->second].fields[*cols.find("index")])};
          }
        }
      }
      bench.items.push_back(tsv_item(r, cols, header, image_cell, folder, options, bench.kind));
    } catch (const RowError& e) {
      handle_row_error(bench, options, r.line, e.what);
    }
  }
  return bench;
}

Benchmark read_jsonl_benchmark(std::string_view text, const fs::path& file,
                               const ReadOptions& options) {
  Benchmark bench;
  bench.file = file;
  bench.kind = options.kind.value_or(detect_bench_kind(file));
  const fs::path folder = file.parent_path();
  // Every line first: whether the file is open-answer depends on all of them.
  std::vector<std::pair<std::int64_t, json>> lines;
  std::int64_t line = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view content = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (trim(content).empty()) continue;
    // Columns are copied into McItem::extra: a line nested too deep to copy is malformed (it is
    // reported as not valid JSON below).
    lines.emplace_back(line, json_depth_within(content)
                                 ? json::parse(content, nullptr, /*allow_exceptions=*/false)
                                 : json(json::value_t::discarded));
  }
  if (!options.kind && bench.kind == BenchKind::kGeneric) {
    bool any_options = false, any_answer = false;
    for (const auto& [n, j] : lines) {
      if (!j.is_object()) continue;
      any_options = any_options || j.contains("options");
      any_answer = any_answer || j.contains("answer") || j.contains("answers");
    }
    if (!any_options && any_answer) bench.kind = BenchKind::kOpen;
  }
  const bool open = open_answer_kind(bench.kind);
  for (const auto& [n, j] : lines) {
    try {
      if (j.is_discarded()) throw RowError{"not valid JSON"};
      bench.items.push_back(jsonl_item(j, n, folder, options, open));
    } catch (const RowError& e) {
      handle_row_error(bench, options, n, e.what);
    }
  }
  return bench;
}

Benchmark read_benchmark(const fs::path& file, const ReadOptions& options) {
  if (!fs::exists(file)) fail("{}: no such benchmark file", file.string());
  BenchFormat format =
      options.format == BenchFormat::kAuto ? detect_bench_format(file) : options.format;
  std::string text = read_file(file);
  if (format == BenchFormat::kVqaJson) return read_vqa_json_benchmark(text, file, options);
  return format == BenchFormat::kTsv ? read_tsv_benchmark(text, file, options)
                                     : read_jsonl_benchmark(text, file, options);
}

std::vector<std::string> item_images(const McItem& item) {
  std::vector<std::string> out{item_image_bytes(item)};
  out.insert(out.end(), item.more_images.begin(), item.more_images.end());
  return out;
}

std::string item_image_bytes(const McItem& item) {
  if (!item.image_bytes.empty()) return item.image_bytes;
  if (item.image_path.empty()) fail("question {} (line {}) has no image", item.index, item.row);
  return read_file(item.image_path);
}

}  // namespace oqvl::eval
