// Opt-outs in X-Robots-Tag response headers, honoured the way img2dataset honours them: a header
// value is `[token:] directive, directive...`; without a token it applies to every crawler,
// with one only to that crawler. A download is disallowed when a directive that applies to us is
// in the disallowed list (default noai, noimageai, noindex, noimageindex). We answer to the
// tokens "oqvl" and "img2dataset" (sites that opted out of img2dataset opted out of this tool's
// job too). Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oqvl::data {

// img2dataset's default --disallowed_header_directives.
std::vector<std::string> default_disallowed_directives();

// Whether one X-Robots-Tag header value forbids the download. `disallowed` is lower case.
bool robots_tag_disallows(std::string_view header_value, const std::vector<std::string>& disallowed);

}  // namespace oqvl::data
