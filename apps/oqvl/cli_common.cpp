#include "oqvl/cli_common.h"

#include "oqvl/core/error.h"

namespace oqvl::cli {
namespace fs = std::filesystem;

fs::path default_tokenizer_path() {
  static constexpr const char* kAssetPath = "assets/qwen2-tokenizer/tokenizer.json";
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
      if (fs::exists(dir / kAssetPath)) return dir / kAssetPath;
      if (dir == dir.root_path()) break;
    }
  }
  if (fs::exists(kAssetPath)) return kAssetPath;
  fail("no {} found above the oqvl executable or in the current folder: pass --tokenizer PATH",
       kAssetPath);
}

}  // namespace oqvl::cli
