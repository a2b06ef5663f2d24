// Score tables (data/curate/score_table.h): CSV with RFC 4180 quoting and JSONL, keyed by sample
// key or 128-bit uid; the first byte picks the format and the key column.
#include <cmath>
#include <cstdint>

#include "fuzz_util.h"
#include "oqvl/data/curate/score_table.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  std::string_view rest = fuzz::text(data + 1, size - 1);
  data::ScoreTableSpec spec;
  spec.path = flags & 1 ? "scores.jsonl" : "scores.csv";
  constexpr const char* kKeys[] = {"", "uid", "key", "clip"};
  spec.key_column = kKeys[(flags >> 1) & 3];
  fuzz::expect_ok_or_error([&] {
    auto table = data::ScoreTable::parse(rest, flags & 1 ? "jsonl" : "csv", spec);
    for (std::int64_t r = 0; r < static_cast<std::int64_t>(table.rows()) && r < 64; ++r) {
      for (std::size_t c = 0; c < table.columns().size(); ++c) table.value(r, static_cast<int>(c));
    }
    table.find_key("000000001");
    table.find_uid({0, 1});
    table.column_index("clip");
  });
  if (rest.find('\n') == std::string_view::npos) data::split_csv_line(rest);
  return 0;
}
