#include "oqvl/data/download/robots_tag.h"

#include <algorithm>

#include "oqvl/core/strings.h"

namespace oqvl::data {

std::vector<std::string> default_disallowed_directives() {
  return {"noai", "noimageai", "noindex", "noimageindex"};
}

bool robots_tag_disallows(std::string_view header_value, const std::vector<std::string>& disallowed) {
  std::string_view directives = header_value;
  std::size_t colon = header_value.find(':');
  if (colon != std::string_view::npos) {
    // "googlebot: noindex" addresses one crawler; "unavailable_after: <date>" is a directive
    // with an argument, and addresses every crawler, which is no concern of ours either way.
    std::string token = ascii_lower(trim(header_value.substr(0, colon)));
    if (token != "oqvl" && token != "img2dataset") return false;
    directives = header_value.substr(colon + 1);
  }
  std::size_t pos = 0;
  while (pos <= directives.size()) {
    std::size_t end = directives.find(',', pos);
    if (end == std::string_view::npos) end = directives.size();
    std::string d = ascii_lower(trim(directives.substr(pos, end - pos)));
    if (std::find(disallowed.begin(), disallowed.end(), d) != disallowed.end()) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace oqvl::data
