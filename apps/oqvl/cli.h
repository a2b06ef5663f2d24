// The oqvl command tree and its error handling, shared by the `oqvl` executable (torch-free
// commands) and liboqvl_model_commands.so (the same tree plus the commands that run models).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace oqvl::cli {

// What the model-commands library adds to the tree.
struct ModelCommands {
  void (*register_commands)(CLI::App& app);  // convert, generate, eval, score
  std::string (*runtime_summary)();          // libtorch/CUDA line for `oqvl version`
};

// Builds the tree (global flags, version, tokenize, data ..., and `model`'s commands when not
// null), parses argv and runs the chosen command. Returns the exit code: 0 ok, 2 bad input or
// usage (one line `oqvl: error: ...`), 1 internal error. Never throws.
int run_cli(int argc, char** argv, const ModelCommands* model);

}  // namespace oqvl::cli
