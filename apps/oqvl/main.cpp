// oqvl: one binary, one subcommand per task. Exit codes: 0 ok, 2 bad input or usage (and
// environment errors such as a full disk), 1 internal error, 130 / 143 stopped by SIGINT /
// SIGTERM (core/interrupt.h).
//
// The commands that run models live in liboqvl_model_commands.so beside this executable, opened
// only when needed: `oqvl data ...`, `oqvl tokenize` and `oqvl plot` never load libtorch or CUDA
// (start-up in milliseconds and a few MB instead of ~1 s and ~470 MB). Any other command,
// `version` and --help go to the library when it exists, so they see the whole command tree.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "oqvl/cli.h"
#include "oqvl/core/error.h"

namespace {

namespace fs = std::filesystem;

// The first argument that is not a global flag: the command's name ("" when there is none).
std::string_view command_name(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] != '-') return argv[i];
  return {};
}

bool is_torch_free(std::string_view command) {
  return command == "data" || command == "tokenize" || command == "plot" || command == "launch";
}

#ifdef OQVL_MODEL_LIBRARY
using ModelMain = int (*)(int, char**);

// The library beside the executable (build tree, or an install that keeps them together), else
// in ../lib. Empty when neither exists.
fs::path model_library_path() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (const fs::path& p :
       {exe.parent_path() / OQVL_MODEL_LIBRARY, exe.parent_path().parent_path() / "lib" / OQVL_MODEL_LIBRARY})
    if (fs::exists(p)) return p;
  return {};
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const std::string_view command = command_name(argc, argv);
#ifdef OQVL_MODEL_LIBRARY
  if (!is_torch_free(command)) {
    const fs::path library = model_library_path();
    if (library.empty()) {
      if (!command.empty() && command != "version" && command != "help") {
        std::fprintf(stderr,
                     "oqvl: error: '%.*s' needs %s beside the oqvl executable (it is built with libtorch); "
                     "rebuild with scripts/build.sh\n",
                     static_cast<int>(command.size()), command.data(), OQVL_MODEL_LIBRARY);
        return oqvl::kExitBadInput;
      }
    } else {
      // RTLD_LOCAL: the library's copies of the layers stay separate from this executable's.
      // libtorch's OpenMP threads spin at every barrier by default: when another thread of ours
      // (the trainer's loader, an image decoder) or another process holds a core, each small op
      // then waits out a spinning peer, 10-15x slower on 2 cores (docs/PERF.md). Passive waiting
      // unless the user chose; libgomp reads this when libtorch loads, so it is set before.
      setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
      void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
      auto entry = handle ? reinterpret_cast<ModelMain>(dlsym(handle, "oqvl_model_main")) : nullptr;
      if (!entry) {
        std::fprintf(stderr, "oqvl: internal error: cannot load %s: %s\n", library.c_str(), dlerror());
        return oqvl::kExitInternal;
      }
      return entry(argc, argv);
    }
  }
#else
  (void)is_torch_free;
  (void)command;
#endif
  return oqvl::cli::run_cli(argc, argv, nullptr);
}
