// `oqvl data make-bench`: a multiple-choice benchmark TSV (MMBench layout) or an open-answer
// benchmark (TSV or JSONL) from real data.
#include <fmt/format.h>

#include "oqvl/commands.h"
#include "oqvl/core/error.h"
#include "oqvl/data/demo/fashion_bench.h"

namespace oqvl::cli {

void register_data_make_bench(CLI::App& data) {
  auto* cmd = data.add_subcommand(
      "make-bench",
      "Write a 4-option multiple-choice benchmark in the MMBench TSV layout (base64 images), or "
      "with --open an open-answer one (TSV, or JSONL for a .jsonl --out), from the Fashion-MNIST "
      "test split, for `oqvl eval` without downloads");
  struct Args {
    data::FashionBenchOptions options;
    bool fashion_mnist = false;
    std::string out;
    std::string source = data::kFashionMnistDir;
  };
  auto args = std::make_shared<Args>();
  cmd->add_flag("--fashion-mnist", args->fashion_mnist,
                "Source: Debian's Fashion-MNIST test split (the only source so far)")
      ->required();
  cmd->add_option("--out", args->out, "Output .tsv file (.tsv or .jsonl with --open)")->required();
  cmd->add_option("--source", args->source, "Folder with the Fashion-MNIST IDX files")
      ->capture_default_str();
  cmd->add_option("--count", args->options.count, "Questions (distinct test images)")
      ->capture_default_str();
  cmd->add_option("--seed", args->options.seed, "Seed for the image sample and the options")
      ->capture_default_str();
  cmd->add_flag("--jpeg", args->options.jpeg, "JPEG images (default: PNG)");
  cmd->add_flag("--open", args->options.open,
                "Open-answer questions (\"What item is shown?\" -> the class name) instead of multiple "
                "choice");
  cmd->callback([args] {
    args->options.out = args->out;
    args->options.source = args->source;
    data::FashionBenchSummary s = data::make_fashion_bench(args->options);
    if (args->options.open) {
      fmt::print("{}: {} open-answer questions, {:.1f} KB\n", args->out, s.questions, s.bytes / 1e3);
      return;
    }
    fmt::print("{}: {} questions, {:.1f} KB, answers A/B/C/D = {}/{}/{}/{}\n", args->out,
               s.questions, s.bytes / 1e3, s.answers_per_letter[0], s.answers_per_letter[1],
               s.answers_per_letter[2], s.answers_per_letter[3]);
  });
}

}  // namespace oqvl::cli
