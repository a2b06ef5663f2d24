// liboqvl_model_commands.so: the whole command tree plus the commands that run models, entered
// through oqvl_model_main by the `oqvl` executable (apps/oqvl/main.cpp) when such a command runs.
#include <fmt/format.h>

#include "oqvl/cli.h"
#include "oqvl/model/runtime.h"
#include "oqvl/torch/model_commands.h"
#include "oqvl/train/dist/comm.h"

namespace oqvl::cli {

namespace {
// `oqvl version`'s libtorch lines: the runtime and whether multi-process training is built.
std::string runtime_summary() {
  return fmt::format("{}\ndistributed: {}", model::runtime_summary(),
                     !train::comm_available()
                         ? "not built (one process; scripts/setup.sh installs libgloo-dev)"
                     : train::nccl_available()
                         ? "gloo (CPU ranks), nccl (CUDA ranks); oqvl launch / torchrun / srun / mpirun"
                         : "gloo (CPU ranks; oqvl launch / torchrun / srun / mpirun); nccl not built");
}
}  // namespace

void register_model_commands(CLI::App& app) {
  register_convert(app);
  register_generate(app);
  register_eval(app);
  register_train(app);
  register_init(app);
  register_demo(app);
  CLI::App* score = app.add_subcommand(
      "score", "Score image-caption shards with models (tables for data filter): mlm, clip");
  score->require_subcommand(1);
  register_score_mlm(*score);
  register_score_clip(*score);
}

}  // namespace oqvl::cli

extern "C" __attribute__((visibility("default"))) int oqvl_model_main(int argc, char** argv) {
  static const oqvl::cli::ModelCommands commands{&oqvl::cli::register_model_commands,
                                                 &oqvl::cli::runtime_summary};
  return oqvl::cli::run_cli(argc, argv, &commands);
}
