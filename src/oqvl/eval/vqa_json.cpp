#include "oqvl/eval/vqa_json.h"

#include <fmt/format.h>

#include <unordered_map>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/strings.h"

namespace oqvl::eval {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

// A problem with one entry; becomes "FILE: KEY: what" or a skip.
struct EntryError {
  std::string what;
};

const json& field(const json& entry, const char* key) {
  if (!entry.is_object()) throw EntryError{"not a JSON object"};
  auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) throw EntryError{fmt::format("no '{}'", key)};
  return *it;
}

// A string or integer field as text (question ids are numbers in VQAv2, strings in GQA).
std::string text_of(const json& v, const char* key) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  throw EntryError{fmt::format("'{}' is neither a string nor an integer", key)};
}

std::string text_field(const json& entry, const char* key) { return text_of(field(entry, key), key); }

std::string optional_text(const json& entry, const char* key) {
  auto it = entry.find(key);
  return it == entry.end() || it->is_null() ? std::string() : text_of(*it, key);
}

// "answers": VQAv2 / VizWiz objects {"answer": ...} or TextVQA's plain strings.
std::vector<std::string> answers_of(const json& entry) {
  const json& list = field(entry, "answers");
  if (!list.is_array()) throw EntryError{"'answers' is not a list"};
  std::vector<std::string> out;
  for (const json& a : list) out.push_back(a.is_object() ? text_field(a, "answer") : text_of(a, "answers"));
  return out;
}

void set_image(McItem& item, const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw EntryError{fmt::format("image file {} not found", path.string())};
  item.image_path = fs::absolute(path).lexically_normal().string();
}

void set_answers(McItem& item, std::vector<std::string> answers, const ReadOptions& options) {
  std::erase_if(answers, [](const std::string& a) { return trim(a).empty(); });
  item.answers = std::move(answers);
  if (item.answer.empty() && !item.answers.empty()) item.answer = item.answers[0];
  if (options.require_answer && item.answers.empty()) throw EntryError{"no answer"};
}

struct Reader {
  Benchmark& bench;
  const ReadOptions& options;
  fs::path images;

  // Runs `make` for one entry and keeps its item, or records the problem under `key`.
  template <typename F>
  void entry(const std::string& key, F&& make) {
    try {
      McItem item;
      item.question_type = "free_form";
      make(item);
      if (trim(item.question).empty()) throw EntryError{"empty 'question'"};
      bench.items.push_back(std::move(item));
    } catch (const EntryError& e) {
      record_malformed(bench, options, fmt::format("{}: {}: {}", bench.file.string(), key, e.what));
    }
  }

  const json& list(const json& doc, const char* key) {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_array())
      fail("{}: no '{}' list ({} layout)", bench.file.string(), key,
           vqa_json_layout_name(detect_vqa_json_layout(doc)));
    return *it;
  }

  void vqav2(const json& doc) {
    std::unordered_map<std::string, const json*> annotations;
    json ann_doc;
    if (!options.annotations.empty()) {
      const auto& path = options.annotations;
      if (!fs::exists(path)) fail("{}: no such annotations file", path.string());
      try {
        ann_doc = json::parse(read_file(path));
      } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
        fail("{}: not valid JSON: {}", path.string(), e.what());
      }
      auto it = ann_doc.find("annotations");
      if (!ann_doc.is_object() || it == ann_doc.end() || !it->is_array())
        fail("{}: no 'annotations' list (VQAv2 / OK-VQA annotations file)", path.string());
      for (std::size_t i = 0; i < it->size(); ++i) {
        const json& a = (*it)[i];
        try {
          annotations[text_field(a, "question_id")] = &a;
        } catch (const EntryError& e) {
          fail("{}: annotations[{}]: {}", path.string(), i, e.what);
        }
      }
    } else if (options.require_answer) {
      fail("{}: a VQAv2 / OK-VQA questions file needs its annotations file (--annotations)",
           bench.file.string());
    }
    const std::string subtype = doc.contains("data_subtype") && doc["data_subtype"].is_string()
                                    ? doc["data_subtype"].get<std::string>()
                                    : std::string();
    const json& questions = list(doc, "questions");
    for (std::size_t i = 0; i < questions.size(); ++i) {
      entry(fmt::format("questions[{}]", i), [&](McItem& item) {
        const json& q = questions[i];
        item.index = text_field(q, "question_id");
        item.question = text_field(q, "question");
        const std::string image_id = text_field(q, "image_id");
        const std::string padded = fmt::format("{:0>12}", image_id);
        fs::path coco = images / fmt::format("COCO_{}_{}.jpg", subtype, padded);
        std::error_code ec;
        set_image(item,
                  !subtype.empty() && fs::is_regular_file(coco, ec) ? coco : images / (padded + ".jpg"));
        item.extra["image_id"] = image_id;
        if (annotations.empty()) return set_answers(item, {}, options);
        auto a = annotations.find(item.index);
        if (a == annotations.end())
          throw EntryError{
              fmt::format("question_id {} has no entry in {}", item.index, options.annotations.string())};
        item.answer = optional_text(*a->second, "multiple_choice_answer");
        item.category = optional_text(*a->second, "answer_type");
        item.l2_category = optional_text(*a->second, "question_type");
        set_answers(item, answers_of(*a->second), options);
      });
    }
  }

  void gqa(const json& doc) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      entry(fmt::format("\"{}\"", it.key()), [&](McItem& item) {
        const json& q = it.value();
        item.index = it.key();
        item.question = text_field(q, "question");
        set_image(item, images / (text_field(q, "imageId") + ".jpg"));
        if (auto t = q.find("types"); t != q.end() && t->is_object()) {
          item.category = optional_text(*t, "structural");
          item.l2_category = optional_text(*t, "semantic");
        }
        std::vector<std::string> refs;
        if (std::string a = optional_text(q, "answer"); !a.empty()) refs.push_back(a);
        if (auto f = q.find("fullAnswer"); f != q.end() && f->is_string()) item.extra["full_answer"] = *f;
        set_answers(item, std::move(refs), options);
      });
    }
  }

  void vizwiz(const json& doc) {
    for (std::size_t i = 0; i < doc.size(); ++i) {
      entry(fmt::format("[{}]", i), [&](McItem& item) {
        const json& q = doc[i];
        const std::string image = text_field(q, "image");
        item.index = image;
        item.question = text_field(q, "question");
        set_image(item, images / image);
        item.category = optional_text(q, "answer_type");
        if (q.contains("answerable") && q["answerable"].is_number())
          item.extra["answerable"] = q["answerable"];
        set_answers(item, q.contains("answers") ? answers_of(q) : std::vector<std::string>{}, options);
      });
    }
  }

  void textvqa(const json& doc) {
    const json& data = list(doc, "data");
    for (std::size_t i = 0; i < data.size(); ++i) {
      entry(fmt::format("data[{}]", i), [&](McItem& item) {
        const json& q = data[i];
        item.index = text_field(q, "question_id");
        item.question = text_field(q, "question");
        set_image(item, images / (text_field(q, "image_id") + ".jpg"));
        if (auto o = q.find("ocr_tokens"); o != q.end() && !o->is_null()) {
          if (!o->is_array()) throw EntryError{"'ocr_tokens' is not a list"};
          std::vector<std::string> tokens;
          for (const json& t : *o) tokens.push_back(text_of(t, "ocr_tokens"));
          item.extra["ocr_tokens"] = tokens;
        }
        set_answers(item, q.contains("answers") ? answers_of(q) : std::vector<std::string>{}, options);
      });
    }
  }
};

}  // namespace

VqaJsonLayout detect_vqa_json_layout(const json& doc) {
  if (doc.is_array()) {
    return !doc.empty() && doc[0].is_object() && doc[0].contains("image") && doc[0].contains("question")
               ? VqaJsonLayout::kVizWiz
               : VqaJsonLayout::kNone;
  }
  if (!doc.is_object() || doc.empty()) return VqaJsonLayout::kNone;
  if (doc.contains("questions") && doc["questions"].is_array()) return VqaJsonLayout::kVqaV2;
  if (doc.contains("data") && doc["data"].is_array()) return VqaJsonLayout::kTextVqa;
  const json& first = doc.begin().value();
  if (first.is_object() && first.contains("imageId") && first.contains("question"))
    return VqaJsonLayout::kGqa;
  return VqaJsonLayout::kNone;
}

std::string_view vqa_json_layout_name(VqaJsonLayout layout) {
  switch (layout) {
    case VqaJsonLayout::kVqaV2: return "vqav2";
    case VqaJsonLayout::kGqa: return "gqa";
    case VqaJsonLayout::kVizWiz: return "vizwiz";
    case VqaJsonLayout::kTextVqa: return "textvqa";
    case VqaJsonLayout::kNone: break;
  }
  return "none";
}

Benchmark read_vqa_json_benchmark(std::string_view text, const fs::path& file, const ReadOptions& options) {
  Benchmark bench;
  bench.file = file;
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    fail("{}: not valid JSON: {}", file.string(), e.what());
  }
  const VqaJsonLayout layout = detect_vqa_json_layout(doc);
  bench.kind = options.kind.value_or(layout == VqaJsonLayout::kTextVqa ? BenchKind::kTextVQA
                                                                       : BenchKind::kOpen);
  Reader reader{bench, options, options.images.empty() ? file.parent_path() : options.images};
  switch (layout) {
    case VqaJsonLayout::kVqaV2: reader.vqav2(doc); break;
    case VqaJsonLayout::kGqa: reader.gqa(doc); break;
    case VqaJsonLayout::kVizWiz: reader.vizwiz(doc); break;
    case VqaJsonLayout::kTextVqa: reader.textvqa(doc); break;
    case VqaJsonLayout::kNone:
      fail("{}: not a VQAv2 / OK-VQA ('questions' list), TextVQA ('data' list), GQA (question id -> "
           "{{imageId, question}}) or VizWiz ([{{image, question}}]) question file",
           file.string());
  }
  return bench;
}

}  // namespace oqvl::eval
