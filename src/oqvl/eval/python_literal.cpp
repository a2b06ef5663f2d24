#include "oqvl/eval/python_literal.h"

#include <cctype>
#include <cstdint>

#include "oqvl/core/error.h"
#include "oqvl/core/strings.h"

namespace oqvl::eval {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::vector<std::string> parse_python_list(std::string_view text) {
  std::size_t i = 0;
  auto skip_ws = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  auto bad = [&](std::string_view why) -> std::vector<std::string> {
    fail("not a Python list of strings ({} at offset {}): {}", why, i, text.substr(0, 80));
  };
  std::vector<std::string> out;
  skip_ws();
  if (i >= text.size() || text[i] != '[') return bad("no '['");
  ++i;
  skip_ws();
  if (i < text.size() && text[i] == ']') {
    ++i;
  } else {
    while (true) {
      skip_ws();
      if (i >= text.size()) return bad("unterminated list");
      char q = text[i];
      if (q == '\'' || q == '"') {
        ++i;
        std::string s;
        while (true) {
          if (i >= text.size()) return bad("unterminated string");
          char c = text[i++];
          if (c == q) break;
          if (c != '\\') {
            s += c;
            continue;
          }
          if (i >= text.size()) return bad("dangling backslash");
          char e = text[i++];
          switch (e) {
            case '\\':
              s += '\\';
              break;
            case '\'':
              s += '\'';
              break;
            case '"':
              s += '"';
              break;
            case 'n':
              s += '\n';
              break;
            case 't':
              s += '\t';
              break;
            case 'r':
              s += '\r';
              break;
            case '0':
              s += '\0';
              break;
            case 'x':
            case 'u':
            case 'U': {
              std::size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
              if (i + digits > text.size()) return bad("short escape");
              std::uint32_t cp = 0;
              for (std::size_t d = 0; d < digits; ++d) {
                char h = text[i++];
                if (!std::isxdigit(static_cast<unsigned char>(h))) return bad("bad hex escape");
                cp =
                    cp * 16 + static_cast<std::uint32_t>(std::isdigit(static_cast<unsigned char>(h))
                                                             ? h - '0'
                                                             : (std::tolower(h) - 'a' + 10));
              }
              append_utf8(s, cp);
              break;
            }
            default:  // Python keeps unknown escapes as written
              s += '\\';
              s += e;
          }
        }
        out.push_back(std::move(s));
      } else {
        // A bare number (or None/True/False) as written.
        std::size_t start = i;
        while (i < text.size() && text[i] != ',' && text[i] != ']') ++i;
        std::string token(trim(text.substr(start, i - start)));
        if (token.empty()) return bad("empty element");
        out.push_back(token);
      }
      skip_ws();
      if (i >= text.size()) return bad("unterminated list");
      if (text[i] == ',') {
        ++i;
        skip_ws();
        if (i < text.size() && text[i] == ']') {  // trailing comma
          ++i;
          break;
        }
        continue;
      }
      if (text[i] == ']') {
        ++i;
        break;
      }
      return bad("expected ',' or ']'");
    }
  }
  skip_ws();
  if (i != text.size()) return bad("text after the list");
  return out;
}

}  // namespace oqvl::eval
