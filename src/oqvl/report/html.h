// Escaping text for HTML and inline SVG (both text and attribute values): & < > " ' become
// character references, every other byte is kept (UTF-8 passes through). Any thread.
#pragma once

#include <string>
#include <string_view>

namespace oqvl::report {

std::string html_escape(std::string_view text);

}  // namespace oqvl::report
