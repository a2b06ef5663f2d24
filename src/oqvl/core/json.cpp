#include "oqvl/core/json.h"

#include "oqvl/core/files.h"

namespace oqvl {

nlohmann::json read_json_file(const std::filesystem::path& path, std::string_view what) {
  if (!std::filesystem::is_regular_file(path)) fail("{} '{}' does not exist", what, path.string());
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail("{} '{}' is not valid JSON ({})", what, path.string(), e.what());
  }
}

}  // namespace oqvl
