#include "oqvl/cli_common.h"

#include "oqvl/core/error.h"
#include "oqvl/data/io/shard_list.h"

namespace oqvl::cli {
namespace fs = std::filesystem;

fs::path find_repo_file(const std::string& relative, const std::string& hint) {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
      if (fs::exists(dir / relative)) return dir / relative;
      if (dir == dir.root_path()) break;
    }
  }
  if (fs::exists(relative)) return relative;
  fail("no {} found above the oqvl executable or in the current folder: {}", relative, hint);
}

fs::path default_tokenizer_path() {
  return find_repo_file("assets/qwen2-tokenizer/tokenizer.json", "pass --tokenizer PATH");
}

std::vector<std::string> ShardCommandFlags::all_shards() const { return data::expand_shard_specs(inputs); }

std::vector<std::string> ShardCommandFlags::job_shards() const {
  return data::select_job_shards(all_shards(), job);
}

fs::path ShardCommandFlags::tokenizer_path() const {
  return tokenizer.empty() ? default_tokenizer_path() : fs::path(tokenizer);
}

void add_shard_command_flags(CLI::App* cmd, ShardCommandFlags& flags, bool with_tokenizer) {
  cmd->add_option("shards", flags.inputs,
                  "Input shards: files, globs ('d/*.tar'), brace ranges ('d/{00000..01302}.tar'), "
                  "@list.txt")
      ->required();
  cmd->add_option("--out", flags.out, "Output folder")->required();
  cmd->add_option("--threads", flags.threads, "Worker threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--shard-index", flags.job.index,
                  "This process's share of the inputs when N processes split them (0..N-1)")
      ->capture_default_str();
  cmd->add_option("--num-shards", flags.job.count,
                  "How many processes split the inputs (e.g. a Slurm array's size)")
      ->capture_default_str();
  if (with_tokenizer) {
    cmd->add_option("--tokenizer", flags.tokenizer,
                    "tokenizer.json (default: assets/qwen2-tokenizer/tokenizer.json above the "
                    "oqvl executable)");
  }
}

}  // namespace oqvl::cli
