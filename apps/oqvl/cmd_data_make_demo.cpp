// `oqvl data make-demo`: builds the embedded default data set from Debian's Fashion-MNIST.
#include <fmt/format.h>

#include "oqvl/commands.h"
#include "oqvl/data/demo/demo_data.h"
#include "oqvl/core/interrupt.h"

namespace oqvl::cli {

void register_data_make_demo(CLI::App& data) {
  auto* cmd = data.add_subcommand(
      "make-demo",
      "Turn Debian's Fashion-MNIST (70k real product photos, 10 classes) into WebDataset shards "
      "with templated captions and json metadata: OUT/train/*.tar, OUT/test/*.tar, OUT/demo.json; "
      "and OUT/sft/train.jsonl, one LLaVA-format conversation per train sample (image = its key in "
      "the train shards, a short-answer question answered with the class name) for `oqvl train` "
      "stage sft");
  // Flag values live as long as the App: the callback runs after this function returns.
  struct Args {
    data::DemoOptions options;
    std::string out;
    std::string source = data::kFashionMnistDir;
  };
  auto args = std::make_shared<Args>();
  data::DemoOptions* options = &args->options;
  cmd->add_option("--out", args->out, "Output folder (new, empty, or an earlier demo set)")->required();
  cmd->add_option("--source", args->source, "Folder with the Fashion-MNIST IDX files")
      ->capture_default_str();
  cmd->add_option("--train-samples", options->train_samples, "Train samples (0 = all 60,000)")
      ->capture_default_str();
  cmd->add_option("--test-samples", options->test_samples, "Test samples (0 = all 10,000)")
      ->capture_default_str();
  cmd->add_option("--shard-size", options->shard_size, "Samples per shard")->capture_default_str();
  cmd->add_option("--seed", options->seed, "Seed for captions and uids")->capture_default_str();
  cmd->add_option("--jpeg-quality", options->jpeg_quality, "JPEG quality 1..100")
      ->capture_default_str();
  cmd->add_option("--threads", options->threads, "Worker threads (0 = all cores)")
      ->capture_default_str();
  cmd->callback([args] {
    catch_interrupts();  // stop at a safe point on SIGINT/SIGTERM (core/interrupt.h)
    const std::string& out = args->out;
    args->options.out = out;
    args->options.source = args->source;
    data::DemoSummary summary = data::make_demo_dataset(args->options);
    if (summary.reused) fmt::print("{} already holds this demo data set (nothing to do)\n", out);
    for (const auto& split : summary.splits) {
      fmt::print("{}: {} samples in {} shards, {:.1f} MB ({}/{}/{})\n", split.name, split.samples,
                 split.shards.size(), split.bytes / 1e6, out, split.name,
                 split.shards.size() == 1 ? "00000.tar"
                                          : fmt::format("{{00000..{:05d}}}.tar",
                                                        split.shards.size() - 1));
    }
    if (!summary.sft.empty())
      fmt::print("sft: conversations for the train split in {}/{}\n", out, summary.sft);
  });
}

}  // namespace oqvl::cli
