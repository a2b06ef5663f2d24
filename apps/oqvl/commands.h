// Registration of the CLI's subcommands: each cmd_<name>.cpp adds its own subcommand to a
// parent and sets a callback that does the work (errors propagate as exceptions to main).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace oqvl::cli {

// runtime_summary: the libtorch line, null when the model commands are not loaded.
void register_version(CLI::App& app, std::string (*runtime_summary)());
void register_tokenize(CLI::App& app);
void register_plot(CLI::App& app);
void register_launch(CLI::App& app);
void register_data_inspect(CLI::App& data);
void register_data_stats(CLI::App& data);
void register_data_filter(CLI::App& data);
void register_data_make_demo(CLI::App& data);
void register_data_make_bench(CLI::App& data);
void register_data_preprocess_bench(CLI::App& data);
void register_data_pack(CLI::App& data);
void register_data_mix(CLI::App& data);
void register_data_download(CLI::App& data);

}  // namespace oqvl::cli
