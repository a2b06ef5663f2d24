// URL lists for `oqvl data download` (data/download/url_list.h): txt, csv, tsv and jsonl, plain
// or gzipped (first byte: format, gzip, and which extra column to copy).
#include <cstdint>

#include "fuzz_util.h"
#include "oqvl/data/download/url_list.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  constexpr const char* kFormats[] = {"txt", "csv", "tsv", "jsonl"};
  std::string name = std::string("urls.") + kFormats[flags & 3] + (flags & 4 ? ".gz" : "");
  auto path = fuzz::input_file(name, fuzz::text(data + 1, size - 1));
  data::UrlListOptions options;
  if (flags & 8) options.extra_cols = {"uid"};
  if (flags & 16) options.caption_col = "";
  fuzz::expect_ok_or_error([&] { data::read_url_list(path, options); });
  return 0;
}
