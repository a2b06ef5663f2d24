// Errors: oqvl::Error is bad input or usage (the CLI prints it as one line and exits 2);
// anything else escaping a command is an internal error (exit 1).
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace oqvl {

// Bad input (a file, a flag, a config key): the message names the thing and says what is wrong.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws oqvl::Error with an fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Exit codes of the oqvl binary.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitBadInput = 2;

}  // namespace oqvl
