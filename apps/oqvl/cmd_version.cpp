// `oqvl version`: what this build is and what it can do (libtorch, CUDA, image formats).
#include <fmt/format.h>

#include "oqvl/commands.h"
#include "oqvl/core/thread_pool.h"
#ifdef OQVL_WITH_TORCH
#include "oqvl/model/runtime.h"
#endif

namespace oqvl::cli {

void register_version(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print the version and build features");
  cmd->callback([] {
    fmt::print("oqvl {}\n", OQVL_VERSION);
#ifdef OQVL_HAVE_WEBP
    fmt::print("images: jpeg png webp\n");
#else
    fmt::print("images: jpeg png (webp: not built)\n");
#endif
    fmt::print("hardware threads: {}\n", resolve_thread_count(0));
#ifdef OQVL_WITH_TORCH
    fmt::print("{}\n", model::runtime_summary());
#else
    fmt::print("libtorch: not built (data tools only)\n");
#endif
  });
}

}  // namespace oqvl::cli
