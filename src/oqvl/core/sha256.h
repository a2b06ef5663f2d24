// SHA-256 (FIPS 180-4), for the content hashes img2dataset-style metadata records (the `sha256`
// field of a downloaded sample: the hex digest of the bytes as they were downloaded). Pure
// function, thread-safe. Uses OpenSSL's libcrypto when built with it (optional, CMake), else
// the portable code here.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace oqvl {

// The 32-byte digest of `bytes`.
std::array<std::uint8_t, 32> sha256(std::string_view bytes);

// The same digest as 64 lower-case hex digits (Python's hashlib.sha256(b).hexdigest()).
std::string sha256_hex(std::string_view bytes);

namespace detail {
// The portable implementation (used when oqvl is built without OpenSSL's libcrypto); tests
// check it against the same vectors.
std::array<std::uint8_t, 32> sha256_portable(std::string_view bytes);
}  // namespace detail

}  // namespace oqvl
