// Registration of the commands that run models (apps/oqvl/torch/, built into
// liboqvl_model_commands.so only with OQVL_WITH_TORCH): each cmd_<name>.cpp adds its subcommand.
#pragma once

#include <CLI/CLI.hpp>

namespace oqvl::cli {

void register_convert(CLI::App& app);
void register_generate(CLI::App& app);
void register_eval(CLI::App& app);
void register_train(CLI::App& app);
void register_init(CLI::App& app);
void register_demo(CLI::App& app);
void register_score_mlm(CLI::App& score);
void register_score_clip(CLI::App& score);

// All of the above, score's two under one `score` command.
void register_model_commands(CLI::App& app);

}  // namespace oqvl::cli
