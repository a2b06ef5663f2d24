// `oqvl data mix`: a seeded training manifest over packed shards of several sources.
#include <fmt/format.h>

#include "oqvl/commands.h"
#include "oqvl/core/files.h"
#include "oqvl/data/pack/mix.h"
#include "oqvl/core/interrupt.h"

namespace oqvl::cli {

void register_data_mix(CLI::App& data) {
  struct Args {
    std::vector<std::string> sources;
    std::string out;
    data::MixOptions options;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = data.add_subcommand(
      "mix", "Write a seeded training manifest mixing packed shards of several sources");
  cmd->add_option("--source", args->sources,
                  "NAME=SHARDS[:epochs=E|:weight=W], e.g. ccs='out/ccs/*.tar:epochs=1' "
                  "(repeat per source)")
      ->required();
  cmd->add_option("--seed", args->options.seed, "Shuffle seed")->capture_default_str();
  cmd->add_option("--sequences", args->options.sequences,
                  "Total sequences the weighted sources fill up to (0 = every source once)")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Manifest file (JSON)")->required();
  cmd->callback([args] {
    catch_interrupts();  // stop at a safe point on SIGINT/SIGTERM (core/interrupt.h)
    std::vector<data::MixSourceSpec> specs;
    for (const auto& s : args->sources) specs.push_back(data::parse_mix_source(s));
    data::Mixture mix = data::make_mixture(specs, args->options);
    write_file_atomic(args->out, mix.to_json().dump(2) + "\n");
    for (const auto& r : mix.sources) {
      fmt::print("{}: {} shards, {} sequences available, target {}, selected {} ({:.3f} epochs)\n",
                 r.spec.name, r.shards, r.available, r.target, r.selected,
                 static_cast<double>(r.selected) / static_cast<double>(r.available));
    }
    fmt::print("manifest: {} ({} entries, {} sequences, seed {})\n", args->out, mix.entries.size(),
               mix.sequences, mix.seed);
  });
}

}  // namespace oqvl::cli
