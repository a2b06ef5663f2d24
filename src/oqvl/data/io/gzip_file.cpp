#include "oqvl/data/io/gzip_file.h"

#include <zlib.h>

#include "oqvl/core/error.h"

namespace oqvl::data {

std::string read_gzip_file(const std::filesystem::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) fail("cannot open '{}'", path.string());
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  int errnum = 0;
  const char* msg = gzerror(f, &errnum);
  std::string why = (n < 0 && msg) ? msg : "";
  gzclose(f);
  if (n < 0) fail("'{}' is not a valid gzip file: {}", path.string(), why);
  return out;
}

}  // namespace oqvl::data
