#include "oqvl/data/io/tsv.h"

#include <algorithm>
#include <array>

#include "oqvl/core/error.h"

namespace oqvl::data {

std::vector<TsvRecord> parse_tsv(std::string_view text, std::string_view source) {
  return parse_delimited(text, '\t', source);
}

std::vector<TsvRecord> parse_delimited(std::string_view text, char sep, std::string_view source) {
  std::vector<TsvRecord> records;
  std::int64_t line = 1;
  std::size_t i = 0;
  const std::size_t n = text.size();
  // A UTF-8 byte order mark (Excel-saved TSVs) is not part of the first column name.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < n) {
    // Blank lines between records (pandas skips them too).
    if (text[i] == '\n' || text[i] == '\r') {
      if (text[i] == '\n' || (i + 1 < n && text[i + 1] == '\n')) ++line;
      i += text[i] == '\r' && i + 1 < n && text[i + 1] == '\n' ? 2 : 1;
      continue;
    }
    TsvRecord record;
    record.line = line;
    while (true) {
      std::string field;
      if (i < n && text[i] == '"') {
        const std::int64_t quote_line = line;
        ++i;
        while (true) {
          if (i >= n) fail("{}: line {}: unterminated quoted field", source, quote_line);
          char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (c == '\n') ++line;
          field += c;
          ++i;
        }
        if (i < n && text[i] != sep && text[i] != '\n' && text[i] != '\r') {
          fail("{}: line {}: unexpected character after a closing quote", source, line);
        }
      } else {
        // Outside quotes a "\r" ends the record like "\n" (pandas' and csv's readers agree).
        std::size_t end = i;
        while (end < n && text[end] != sep && text[end] != '\n' && text[end] != '\r') ++end;
        field.assign(text.substr(i, end - i));
        i = end;
      }
      record.fields.push_back(std::move(field));
      if (i < n && text[i] == '\r') {
        ++i;
        if (i >= n || text[i] != '\n') break;  // a lone "\r": end of record, same line count
      }
      if (i >= n) break;
      if (text[i] == sep) {
        ++i;
        continue;
      }
      // '\n': end of record.
      ++i;
      ++line;
      break;
    }
    records.push_back(std::move(record));
  }
  return records;
}

std::string tsv_quote(std::string_view field) {
  if (field.find_first_of("\t\n\r\"") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string tsv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += '\t';
    out += tsv_quote(fields[i]);
  }
  out += '\n';
  return out;
}

bool is_pandas_na(std::string_view cell) {
  static constexpr std::array<std::string_view, 19> kNa = {
      "",     "#N/A", "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
      "<NA>", "N/A",  "NA",       "NULL", "NaN",     "None",     "n/a",  "nan",  "null"};
  return std::find(kNa.begin(), kNa.end(), cell) != kNa.end();
}

}  // namespace oqvl::data
