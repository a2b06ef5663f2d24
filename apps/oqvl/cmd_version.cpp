// `oqvl version`: what this build is and what it can do (libtorch, CUDA, image formats).
#include <fmt/format.h>

#include "oqvl/commands.h"
#include "oqvl/core/thread_pool.h"

namespace oqvl::cli {

void register_version(CLI::App& app, std::string (*runtime_summary)()) {
  auto* cmd = app.add_subcommand("version", "Print the version and build features");
  cmd->callback([runtime_summary] {
    fmt::print("oqvl {}\n", OQVL_VERSION);
#ifdef OQVL_HAVE_WEBP
    fmt::print("images: jpeg png webp\n");
#else
    fmt::print("images: jpeg png (webp: not built)\n");
#endif
    fmt::print("hardware threads: {}\n", resolve_thread_count(0));
    if (runtime_summary) {
      fmt::print("{}\n", runtime_summary());
    } else {
      fmt::print("libtorch: not built (data tools only)\n");
    }
  });
}

}  // namespace oqvl::cli
