// oqvl: one binary, one subcommand per task. Exit codes: 0 ok, 2 bad input or usage,
// 1 internal error.
#include <cstdio>
#include <exception>

#include "oqvl/commands.h"
#include "oqvl/core/error.h"
#include "oqvl/core/log.h"
#include "oqvl/core/progress.h"

int main(int argc, char** argv) {
  CLI::App app{"oqvl: data curation, packing, training and evaluation of Open-Qwen2VL-style "
               "multimodal LLMs"};
  app.require_subcommand(1);
  bool quiet = false, verbose = false;
  app.add_flag("-q,--quiet", quiet, "Only print results and errors (no progress)");
  app.add_flag("-v,--verbose", verbose, "Print debug messages");
  app.parse_complete_callback([&] {
    if (quiet) {
      oqvl::log::set_level(oqvl::log::Level::kWarn);
      oqvl::set_progress_enabled(false);
    }
    if (verbose) oqvl::log::set_level(oqvl::log::Level::kDebug);
  });

  oqvl::cli::register_version(app);
  oqvl::cli::register_tokenize(app);
  CLI::App* data = app.add_subcommand("data", "WebDataset shards: demo data, inspect, stats, filter, "
                                              "pack, mix, image preprocessing benchmark, "
                                              "benchmark TSVs");
  data->require_subcommand(1);
  oqvl::cli::register_data_inspect(*data);
  oqvl::cli::register_data_stats(*data);
  oqvl::cli::register_data_filter(*data);
  oqvl::cli::register_data_make_demo(*data);
  oqvl::cli::register_data_make_bench(*data);
  oqvl::cli::register_data_preprocess_bench(*data);
  oqvl::cli::register_data_pack(*data);
  oqvl::cli::register_data_mix(*data);
#ifdef OQVL_WITH_TORCH
  oqvl::cli::register_convert(app);
  oqvl::cli::register_generate(app);
  oqvl::cli::register_eval(app);
  CLI::App* score = app.add_subcommand(
      "score", "Score image-caption shards with models (tables for data filter): mlm, clip");
  score->require_subcommand(1);
  oqvl::cli::register_score_mlm(*score);
  oqvl::cli::register_score_clip(*score);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return oqvl::kExitBadInput;
  } catch (const oqvl::Error& e) {
    std::fprintf(stderr, "oqvl: error: %s\n", e.what());
    return oqvl::kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oqvl: internal error: %s\n", e.what());
    return oqvl::kExitInternal;
  }
  return oqvl::kExitOk;
}
