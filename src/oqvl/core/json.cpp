#include "oqvl/core/json.h"

#include "oqvl/core/files.h"

namespace oqvl {

nlohmann::json read_json_file(const std::filesystem::path& path, std::string_view what) {
  if (!std::filesystem::is_regular_file(path)) fail("{} '{}' does not exist", what, path.string());
  std::string text = read_file(path);
  if (!json_depth_within(text)) {
    fail("{} '{}' nests arrays and objects deeper than {} levels", what, path.string(), kMaxJsonDepth);
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("{} '{}' is not valid JSON ({})", what, path.string(), e.what());
  }
}

bool json_depth_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is, cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace oqvl
