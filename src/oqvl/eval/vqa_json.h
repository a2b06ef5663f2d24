// Readers for the open-answer VQA benchmarks in the JSON layouts their authors publish (the
// question files behind the paper's Table 5 and TextVQA val), turned into open-kind items:
//
//   VQAv2 / OK-VQA: a questions file {"data_subtype": "val2014", "questions": [{"question_id",
//     "image_id", "question"}]} plus an annotations file {"annotations": [{"question_id",
//     "answers": [{"answer", ...} x 10], "multiple_choice_answer", "answer_type",
//     "question_type"}]}; images COCO_{data_subtype}_{image_id:012d}.jpg (else {image_id:012d}.jpg).
//   GQA: {"<question id>": {"imageId", "question", "answer", "types": {"structural", "semantic"}}}
//     (e.g. testdev_balanced_questions.json); images {imageId}.jpg; one reference answer.
//   VizWiz: [{"image": "VizWiz_val_00000000.jpg", "question", "answers": [{"answer", ...} x 10],
//     "answer_type"}] (val.json); the question id is the image name.
//   TextVQA: {"dataset_name": "textvqa", "data": [{"question_id", "image_id", "question",
//     "answers": [10 strings], "ocr_tokens"?: [...]}]} (TextVQA_0.5.1_val.json); images
//     {image_id}.jpg; OCR tokens, when an entry has them, go to extra["ocr_tokens"].
//
// Category = answer_type (VQAv2, OK-VQA, VizWiz) or GQA's structural type; l2 = VQAv2's
// question_type or GQA's semantic type. Images are looked up under ReadOptions::images (default:
// the question file's folder) and must exist. Errors: oqvl::Error "FILE: KEY: what" where KEY
// locates the entry (questions[3], data[12], [7], "201307251"); with skip_malformed a bad entry
// is skipped and counted instead (file-level problems always throw). No torch; thread-safe.
#pragma once

#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

#include "oqvl/eval/benchmark.h"

namespace oqvl::eval {

enum class VqaJsonLayout { kNone, kVqaV2, kGqa, kVizWiz, kTextVqa };

// Which public layout a parsed JSON document has (kNone: not one of them, e.g. a JSONL line).
VqaJsonLayout detect_vqa_json_layout(const nlohmann::json& doc);

// "vqav2" (also OK-VQA), "gqa", "vizwiz", "textvqa".
std::string_view vqa_json_layout_name(VqaJsonLayout layout);

// Reads a question file in one of the layouts (text = its contents, `file` names it in errors).
// The kind is options.kind, else kTextVQA for TextVQA's layout and kOpen for the others; VQAv2/OK-VQA need options.annotations unless
// options.require_answer is off.
Benchmark read_vqa_json_benchmark(std::string_view text, const std::filesystem::path& file,
                                  const ReadOptions& options = {});

}  // namespace oqvl::eval
