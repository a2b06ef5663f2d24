// Base64 (RFC 4648, standard alphabet, '=' padding) for images embedded in benchmark TSVs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace oqvl::data {

std::string base64_encode(std::string_view bytes);

// Decodes like Python's base64.b64decode with validate=True, except that ASCII whitespace
// (line breaks some tools insert every 76 characters) is skipped. Returns nullopt on a
// character outside the alphabet, a bad length or misplaced padding.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace oqvl::data
