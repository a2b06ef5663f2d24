// Tab-separated tables as pandas writes and reads them (`to_csv(sep="\t")`, `read_csv(sep="\t")`,
// which use Python's csv module with QUOTE_MINIMAL): a field that holds a tab, a line break
// or a double quote is wrapped in double quotes, with inner quotes doubled. The benchmark
// TSVs that public evaluation kits distribute (MMBench, SEED-Bench, MMStar, MathVista) are
// written this way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace oqvl::data {

struct TsvRecord {
  std::vector<std::string> fields;
  std::int64_t line = 0;  // 1-based line of the file where the record starts
};

// Splits `text` into records. A record ends at an unquoted "\n", "\r\n" or lone "\r" (as in
// pandas' and csv's readers); blank lines are skipped. Quoted fields keep their line breaks. Throws
// oqvl::Error naming `source` and the line of an unterminated quoted field or of a stray character
// after a closing quote.
std::vector<TsvRecord> parse_tsv(std::string_view text, std::string_view source);

// The same reader with another field separator (',' for CSV files as Python's csv module writes
// them: the quoting rules are the same).
std::vector<TsvRecord> parse_delimited(std::string_view text, char sep, std::string_view source);

// One field quoted the way pandas/csv QUOTE_MINIMAL does it (unchanged when not needed). One
// difference: a lone "\r" is quoted too (csv leaves it bare when the line terminator is "\n",
// and then its own reader splits the record there).
std::string tsv_quote(std::string_view field);

// A record line (fields quoted as needed, joined by tabs, ended by "\n").
std::string tsv_line(const std::vector<std::string>& fields);

// pandas' default missing-value markers ("", "nan", "NaN", "None", "NA", "null", ...): cells
// that read_csv turns into NaN, which the evaluation kits then treat as "no option / no hint".
bool is_pandas_na(std::string_view cell);

}  // namespace oqvl::data
