// Helpers shared by the CLI's commands.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "oqvl/data/io/shard_job.h"

namespace oqvl::cli {

// The default tokenizer: assets/qwen2-tokenizer/tokenizer.json in the folder of the oqvl
// executable or any folder above it (build/oqvl finds the repo's copy; an install can put
// assets/ beside bin/), else in the current folder. No path is baked in at compile time, so a
// moved checkout or a copied build keeps working. Throws oqvl::Error if there is none.
std::filesystem::path default_tokenizer_path();

// A file of the repository (e.g. "configs/demo-pretrain.toml") found the same way: in the
// executable's folder or any folder above it, else in the current folder. oqvl::Error naming
// the file (and `hint`) if there is none.
std::filesystem::path find_repo_file(const std::string& relative, const std::string& hint);

// The flags every shard-parallel data command shares: input shards as positional
// arguments, --out, --threads, --shard-index/--num-shards, and --tokenizer where text is
// tokenized.
struct ShardCommandFlags {
  std::vector<std::string> inputs;  // shard specs: files, globs, brace ranges, @list.txt
  std::string out;
  int threads = 0;
  data::ShardJob job;
  std::string tokenizer;  // empty = default_tokenizer_path()

  // The input shards, expanded (all jobs' inputs).
  std::vector<std::string> all_shards() const;
  // This job's share of all_shards().
  std::vector<std::string> job_shards() const;
  std::filesystem::path tokenizer_path() const;
};

// Adds the shared flags to `cmd` (with --tokenizer when `with_tokenizer`).
void add_shard_command_flags(CLI::App* cmd, ShardCommandFlags& flags, bool with_tokenizer);

}  // namespace oqvl::cli
