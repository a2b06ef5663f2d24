#include "oqvl/eval/score/mlm_filter.h"

#include <cctype>

#include "oqvl/core/error.h"
#include "oqvl/data/text/image_prompt.h"

namespace oqvl::eval {

namespace {

// The instruction template and criteria texts of MLM-Filter's Qwen scoring script (docs/recipe.md §1.4).
// They are prompt data the released scorer was trained on, so they are reproduced verbatim.
constexpr std::string_view kTemplateHead = "Text Caption: ";
constexpr std::string_view kTemplateMiddle = " A higher score indicates higher level of ";
constexpr std::string_view kTemplateTail =
    ". Ensure that your scoring is nuanced and uses the entire range from 0 to 100, reflecting the subtle "
    "differences. The score should be given as an integer, with each number between 0 and 100 considered as a "
    "potential score, avoiding the tendency to round to multiples of 5 or 10. Please first output a single line "
    "containing the value indicating the scores. In the subsequent line, please provide a comprehensive "
    "explanation of your evaluation, avoiding any potential bias.";

constexpr std::string_view kCriteriaItm =
    "Please evaluate if the provided text caption accurately represents the main features and objects of the "
    "image. The caption doesn't need to detail every aspect of the image, but it should capture its primary "
    "theme. Rate the overall quality of the text caption's match to the image on a scale of 1-100, considering "
    "the criteria mentioned.";
constexpr std::string_view kCriteriaOdf =
    "Please evaluate the text caption to determine if it provides detailed descriptions of objects that align "
    "with the image. Specifically, assess if the caption sufficiently describes the color, size, position, "
    "shape, material, etc., of the objects. Afterward, rate the caption's overall accuracy in capturing object "
    "details from the image on a scale of 1-100, based on the criteria provided.";
constexpr std::string_view kCriteriaCtq =
    "Please evaluate the text caption based on the following criteria: Grammatical Correctness, Diversity of "
    "Vocabulary (e.g., the range and uniqueness of words used), Fluency (e.g., smoothness and natural flow of "
    "sentences), Readability, Length, and Structure. Assign an overall quality score on a scale of 1-100.";
constexpr std::string_view kCriteriaSu =
    "Evaluate the given text caption in relation to its corresponding image. Your goal is to determine if the "
    "text caption provides additional semantic information that isn't readily apparent just from the image "
    "itself.\n\nFor example:\n\n"
    "1. If the image mentions \"a man\" but the caption elaborates he is a \"homeless man\" or a "
    "\"businessman,\" then the caption is enriching the semantic context.\n"
    "2. If the caption introduces concepts like the mathematical tangent function, which require in-depth "
    "knowledge to deduce, it is imparting external semantics.\n"
    "3. Captions revealing specific location addresses, festival details, or other nuanced data not easy to "
    "infer from the image also provide external semantic information.\n"
    "4. Directly identifying specific entities in the image such as buildings, people, bird species, animal "
    "breeds, car models, engines, etc., in the caption introduces additional insights.\n"
    "5. Should the image act as a contextual backdrop and the caption describes elements not explicitly "
    "showcased in the image, it has semantic depth.\n"
    "6. Lastly, if the caption depicts relationships between the subjects in the image, which need commonsense "
    "knowledge to understand, it should be considered semantically rich.\n\n"
    "Please assess and determine the extent of semantic enrichment the caption provides over the image. Rate "
    "the text caption's semantic depth on a scale from 1 to 100.";

std::string_view criteria(MlmMetric m) {
  switch (m) {
    case MlmMetric::kImageTextMatching: return kCriteriaItm;
    case MlmMetric::kObjectDetailFulfillment: return kCriteriaOdf;
    case MlmMetric::kCaptionTextQuality: return kCriteriaCtq;
    case MlmMetric::kSemanticUnderstanding: return kCriteriaSu;
  }
  return {};
}

}  // namespace

std::string_view mlm_metric_name(MlmMetric m) {
  switch (m) {
    case MlmMetric::kImageTextMatching: return "image_text_matching";
    case MlmMetric::kObjectDetailFulfillment: return "object_detail_fulfillment";
    case MlmMetric::kCaptionTextQuality: return "caption_text_quality";
    case MlmMetric::kSemanticUnderstanding: return "semantic_understanding";
  }
  return {};
}

MlmMetric parse_mlm_metric(std::string_view name) {
  for (auto m : kAllMlmMetrics)
    if (mlm_metric_name(m) == name) return m;
  fail(
      "unknown MLM-Filter metric '{}' (image_text_matching, object_detail_fulfillment, caption_text_quality, "
      "semantic_understanding)",
      name);
}

std::string mlm_user_message(std::string_view caption, MlmMetric metric) {
  std::string aspect(mlm_metric_name(metric));
  for (auto& c : aspect)
    if (c == '_') c = ' ';
  std::string out = "<image>\n";
  out += kTemplateHead;
  out += caption;
  out += "\n\n";
  out += criteria(metric);
  out += kTemplateMiddle;
  out += aspect;
  out += kTemplateTail;
  return out;
}

std::string mlm_chat_prompt(std::string_view user_message) {
  std::string out = "<|im_start|>system\nYou are a helpful assistant<|im_end|><|im_start|>user\n";
  out += user_message;
  out += "<|im_end|><|im_start|>assistant\n";
  return out;
}

std::vector<std::int64_t> mlm_prompt_ids(const data::Tokenizer& tokenizer, std::string_view caption,
                                         MlmMetric metric, const MlmPromptOptions& options) {
  data::ImagePromptOptions po;
  po.add_bos = false;
  po.placeholder = options.placeholder;
  auto ids = data::tokenize_image_prompt(tokenizer, mlm_chat_prompt(mlm_user_message(caption, metric)), po);
  if (ids.size() > options.max_len) ids.resize(options.max_len);
  ids.push_back(options.whitespace_id);
  return ids;
}

std::optional<std::int64_t> parse_mlm_score(std::string_view output) {
  const auto nl = output.find('\n');
  std::string s;
  for (char c : output.substr(0, nl))
    if (c != ',' && c != ';') s += c;
  // Python int(): strip whitespace, optional sign, digits with single underscores between.
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  if (b == e) return std::nullopt;
  bool negative = false;
  if (s[b] == '+' || s[b] == '-') negative = s[b++] == '-';
  if (b == e || !std::isdigit(static_cast<unsigned char>(s[b])) ||
      !std::isdigit(static_cast<unsigned char>(s[e - 1])))
    return std::nullopt;
  std::int64_t value = 0;
  for (size_t i = b; i < e; ++i) {
    if (s[i] == '_') {
      if (s[i - 1] == '_') return std::nullopt;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    if (value > (INT64_MAX - 9) / 10) return std::nullopt;
    value = value * 10 + (s[i] - '0');
  }
  return negative ? -value : value;
}

}  // namespace oqvl::eval
