// Registration of the CLI's subcommands: each cmd_<name>.cpp adds its own subcommand to a
// parent and sets a callback that does the work (errors propagate as exceptions to main).
#pragma once

#include <CLI/CLI.hpp>

namespace oqvl::cli {

void register_version(CLI::App& app);
void register_tokenize(CLI::App& app);
void register_data_inspect(CLI::App& data);
void register_data_stats(CLI::App& data);
void register_data_filter(CLI::App& data);
void register_data_make_demo(CLI::App& data);
void register_data_make_bench(CLI::App& data);
void register_data_preprocess_bench(CLI::App& data);
void register_data_pack(CLI::App& data);
void register_data_mix(CLI::App& data);
#ifdef OQVL_WITH_TORCH
// Commands that run models (apps/oqvl/torch/), only in builds with OQVL_WITH_TORCH.
void register_convert(CLI::App& app);
void register_generate(CLI::App& app);
void register_eval(CLI::App& app);
void register_score_mlm(CLI::App& score);
void register_score_clip(CLI::App& score);
#endif

}  // namespace oqvl::cli
