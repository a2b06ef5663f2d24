#include "oqvl/cli.h"

#include <cstdio>
#include <filesystem>
#include <exception>
#include <string>
#include <vector>

#include "oqvl/commands.h"
#include "oqvl/core/error.h"
#include "oqvl/core/input_limits.h"
#include "oqvl/core/interrupt.h"
#include "oqvl/core/log.h"
#include "oqvl/core/log_prefix.h"
#include "oqvl/core/progress.h"

namespace oqvl::cli {
namespace {

// After SIGINT/SIGTERM (core/interrupt.h) any error is reported as the stop: the signal most
// likely caused it (a peer rank that stopped first, a read cut short).
int report_interrupted(int signal, const char* what) {
  std::fprintf(stderr, "%soqvl: interrupted (%s): %s\n", log::prefix().c_str(), signal_name(signal).c_str(),
               what);
  return interrupted_exit_code(signal);
}

}  // namespace

int run_cli(int argc, char** argv, const ModelCommands* model) {
  CLI::App app{"oqvl: data curation, packing, training and evaluation of Open-Qwen2VL-style "
               "multimodal LLMs"};
  app.require_subcommand(1);
  bool quiet = false, verbose = false;
  std::vector<std::string> limits;
  app.add_flag("-q,--quiet", quiet, "Only print results and errors (no progress)");
  app.add_flag("-v,--verbose", verbose, "Print debug messages");
  app.add_option("--limit", limits,
                 "Change a limit on untrusted input for this run, KEY=VALUE (K/M/G suffixes; repeatable). "
                 "Defaults: " +
                     input_limit_keys())
      ->type_name("KEY=VALUE");
  app.parse_complete_callback([&] {
    for (const auto& l : limits) set_input_limit(l);
    if (quiet) {
      log::set_level(log::Level::kWarn);
      set_progress_enabled(false);
    }
    if (verbose) log::set_level(log::Level::kDebug);
  });

  register_version(app, model ? model->runtime_summary : nullptr);
  register_tokenize(app);
  register_plot(app);
  register_launch(app);
  CLI::App* data = app.add_subcommand("data", "WebDataset shards: demo data, inspect, stats, filter, "
                                              "pack, mix, image preprocessing benchmark, "
                                              "benchmark TSVs");
  data->require_subcommand(1);
  register_data_inspect(*data);
  register_data_stats(*data);
  register_data_filter(*data);
  register_data_make_demo(*data);
  register_data_make_bench(*data);
  register_data_preprocess_bench(*data);
  register_data_pack(*data);
  register_data_mix(*data);
  register_data_download(*data);
  if (model) model->register_commands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  } catch (const Interrupted& e) {
    return report_interrupted(e.signal(), e.what());
  } catch (const Error& e) {
    if (interrupted()) return report_interrupted(interrupt_signal(), e.what());
    std::fprintf(stderr, "%soqvl: error: %s\n", log::prefix().c_str(), e.what());
    return kExitBadInput;
  } catch (const std::filesystem::filesystem_error& e) {
    // The machine's answer (a path that is a file, no permission, a full disk), not a bug.
    if (interrupted()) return report_interrupted(interrupt_signal(), e.what());
    std::fprintf(stderr, "%soqvl: error: %s\n", log::prefix().c_str(), e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    if (interrupted()) return report_interrupted(interrupt_signal(), e.what());
    std::fprintf(stderr, "%soqvl: internal error: %s\n", log::prefix().c_str(), e.what());
    return kExitInternal;
  }
  return kExitOk;
}

}  // namespace oqvl::cli
