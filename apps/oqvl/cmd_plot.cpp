// `oqvl plot RUN_DIR`: the HTML report of a training run (report/run_report.h), written to
// RUN_DIR/report.html or --out. Torch-free: it runs in the executable without loading libtorch.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string>

#include "oqvl/commands.h"
#include "oqvl/core/log.h"
#include "oqvl/report/run_report.h"

namespace oqvl::cli {

void register_plot(CLI::App& app) {
  struct Args {
    std::string run_dir, out;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "plot", "HTML report of a training run (loss, lr, grad norm, throughput, evals; inline SVG) "
              "from RUN_DIR/metrics.jsonl");
  cmd->add_option("run_dir", args->run_dir, "Training run folder (holds metrics.jsonl, config.toml)")
      ->required();
  cmd->add_option("--out", args->out, "Report file (default: RUN_DIR/report.html)");
  cmd->callback([args] {
    const auto path = report::write_run_report(args->run_dir, args->out);
    fmt::print("{}\n", path.string());
  });
}

}  // namespace oqvl::cli
