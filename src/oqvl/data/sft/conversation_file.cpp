#include "oqvl/data/sft/conversation_file.h"

#include <algorithm>
#include <cstring>

#include "oqvl/core/error.h"

namespace oqvl::data {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

// The reference's split script writes the per-sample files here, next to the index.
constexpr const char* kMammothSampleFolder = "instruction_si_split";

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// [begin, end) of every non-blank line.
std::vector<std::pair<std::uint64_t, std::uint64_t>> line_spans(std::string_view text) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
  for (std::size_t pos = 0; pos < text.size();) {
    const auto nl = text.find('\n', pos);
    const auto end = nl == std::string_view::npos ? text.size() : nl;
    if (std::any_of(text.begin() + pos, text.begin() + end, [](char c) { return !is_json_space(c); }))
      spans.emplace_back(pos, end);
    pos = end + 1;
  }
  return spans;
}

// [begin, end) of every element of the top-level JSON array `text`, found by scanning its
// structure only (strings, escapes, nesting); each element is parsed, and so fully checked, when
// it is read. Throws a message for the caller to prefix when the text is not an array.
std::vector<std::pair<std::uint64_t, std::uint64_t>> array_element_spans(std::string_view text) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
  std::size_t pos = 0;
  if (text.starts_with("\xEF\xBB\xBF")) pos = 3;  // a UTF-8 byte order mark, as nlohmann accepts
  auto skip_space = [&] {
    while (pos < text.size() && is_json_space(text[pos])) ++pos;
  };
  skip_space();
  if (pos >= text.size() || text[pos] != '[')
    fail("is not a JSON array of samples (a .json file holds [sample, ...]; use .jsonl for one per line)");
  ++pos;
  skip_space();
  if (pos < text.size() && text[pos] == ']') return spans;
  for (;;) {
    skip_space();
    const auto begin = pos;
    int depth = 0;
    for (bool in_string = false; pos < text.size(); ++pos) {
      const char c = text[pos];
      if (in_string) {
        if (c == '\\') ++pos;
        else if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0) break;  // the array's own ']'
        --depth;
      } else if (c == ',' && depth == 0) {
        break;
      }
    }
    if (pos >= text.size()) fail("ends inside its JSON array (truncated?)");
    auto end = pos;
    while (end > begin && is_json_space(text[end - 1])) --end;
    if (end == begin) fail("has an empty element at byte {}", begin);
    spans.emplace_back(begin, end);
    if (text[pos++] == ']') break;
  }
  skip_space();
  if (pos != text.size()) fail("has data after its JSON array (byte {})", pos);
  return spans;
}

json parse_json(std::string_view text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    fail("bad JSON: {}", e.what());
  }
}

}  // namespace

ConversationFile::ConversationFile(const fs::path& file) : path_(file) {
  const auto ext = file.extension().string();
  if (ext != ".json" && ext != ".jsonl")
    fail("SFT data '{}': expected a .json (array) or .jsonl (one sample per line, or an index) file",
         file.string());
  if (!path_exists(file)) fail("SFT data '{}' does not exist", file.string());
  file_ = std::make_unique<MappedFile>(file);
  const auto text = file_->view();
  if (ext == ".json") {
    layout_ = ConversationLayout::kJsonArray;
    try {
      spans_ = array_element_spans(text);
    } catch (const Error& e) {
      fail("SFT data '{}' {}", file.string(), e.what());
    }
    return;
  }
  spans_ = line_spans(text);
  layout_ = ConversationLayout::kJsonLines;
  if (!spans_.empty()) {
    json first;
    try {
      first = parse_json(text.substr(spans_[0].first, spans_[0].second - spans_[0].first));
    } catch (const Error& e) {
      fail("{}: {}", where(0), e.what());
    }
    if (first.is_object() && first.contains("path") && !first.contains("conversations"))
      layout_ = ConversationLayout::kIndex;
  }
}

std::size_t ConversationFile::line_of(std::uint64_t offset) const {
  const auto text = file_->view().substr(0, offset);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

std::string ConversationFile::where(std::size_t i) const {
  const auto line = line_of(spans_.at(i).first);
  switch (layout_) {
    case ConversationLayout::kJsonArray:
      return fmt::format("{} element {} (line {})", path_.string(), i, line);
    case ConversationLayout::kJsonLines: return fmt::format("{} line {}", path_.string(), line);
    case ConversationLayout::kIndex: break;
  }
  std::string row_path;
  try {
    return fmt::format("{} ({} line {})", sample_file(i, row_path).string(), path_.string(), line);
  } catch (const Error&) {
    return fmt::format("{} line {}", path_.string(), line);
  }
}

// The sample file an index row names (`row_path` gets the row's "path").
fs::path ConversationFile::sample_file(std::size_t i, std::string& row_path) const {
  const auto [begin, end] = spans_.at(i);
  json row;
  try {
    row = parse_json(file_->view().substr(begin, end - begin));
  } catch (const Error& e) {
    fail("{} line {}: {}", path_.string(), line_of(begin), e.what());
  }
  const auto p = row.is_object() ? row.find("path") : row.end();
  if (p == row.end() || !p->is_string() || p->get_ref<const std::string&>().empty())
    fail("{} line {}: an index row needs a non-empty string 'path'", path_.string(), line_of(begin));
  row_path = p->get<std::string>();
  const auto dir = path_.parent_path();
  const auto direct = dir / row_path;
  if (path_exists(direct)) return direct;
  const auto split = dir / kMammothSampleFolder / row_path;
  if (path_exists(split)) return split;
  fail("{} line {}: sample file '{}' not found (looked in '{}' and '{}')", path_.string(), line_of(begin),
       row_path, dir.string(), (dir / kMammothSampleFolder).string());
}

// Locations are added only when something is wrong: line_of() reads the file up to the sample.
Conversation ConversationFile::at(std::size_t i) const {
  if (i >= spans_.size())
    fail("SFT data '{}': sample {} is past the end ({} samples)", path_.string(), i, size());
  const auto [begin, end] = spans_[i];
  if (layout_ == ConversationLayout::kIndex) {
    std::string row_path;
    const auto file = sample_file(i, row_path);  // its errors name the index line
    try {
      return parse_conversation(parse_json(read_file(file)), std::move(row_path));
    } catch (const Error& e) {
      fail("{} ({} line {}): {}", file.string(), path_.string(), line_of(begin), e.what());
    }
  }
  try {
    return parse_conversation(parse_json(file_->view().substr(begin, end - begin)), std::to_string(i));
  } catch (const Error& e) {
    fail("{}: {}", where(i), e.what());
  }
}

}  // namespace oqvl::data
