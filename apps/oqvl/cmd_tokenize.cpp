// `oqvl tokenize`: text -> token ids (one JSON array per line) or, with --decode, ids -> text,
// with the Open-Qwen2VL tokenizer layout (data/text/special_tokens.h).
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "oqvl/cli_common.h"
#include "oqvl/commands.h"
#include "oqvl/core/error.h"
#include "oqvl/core/json.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"

namespace oqvl::cli {
namespace {

namespace fs = std::filesystem;

std::vector<std::int32_t> parse_ids(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    fail("--decode expects a JSON array of token ids, got: {}", text);
  }
  if (!j.is_array()) fail("--decode expects a JSON array of token ids, got: {}", text);
  std::vector<std::int32_t> ids;
  for (const auto& v : j) {
    if (!v.is_number_integer()) fail("--decode: {} is not an integer token id (in {})", v.dump(), text);
    ids.push_back(json_integer<std::int32_t>(v, "--decode: a token id"));
  }
  return ids;
}

}  // namespace

void register_tokenize(CLI::App& app) {
  struct Options {
    std::string tokenizer;
    std::vector<std::string> texts;
    bool decode = false;
    bool skip_special = false;
    bool file_added_tokens = false;
    bool json_lines = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "tokenize", "Text to Qwen2 token ids (one JSON array per line), or ids to text with --decode");
  cmd->add_option("--tokenizer", opts->tokenizer,
                  "tokenizer.json (default: assets/qwen2-tokenizer/tokenizer.json above the "
                  "executable, else in the current folder)");
  cmd->add_flag("--decode", opts->decode, "Each TEXT is a JSON array of ids: print its text");
  cmd->add_flag("--skip-special", opts->skip_special, "With --decode: leave out special tokens");
  cmd->add_flag("--file-added-tokens", opts->file_added_tokens,
                "Use the file's added tokens as they are instead of the Open-Qwen2VL layout");
  cmd->add_flag("--json-lines", opts->json_lines,
                "Read stdin lines as JSON strings (texts with newlines); needs no TEXT");
  // CLI11 splits an argument like "[1, 2]" of a vector option into elements unless
  // allow_extra_args is off; a huge minimum count (never enforced under TakeAll) then keeps the
  // positional taking every TEXT, before and after "--".
  cmd->add_option("TEXT", opts->texts, "Texts (put -- before texts that start with '-'); none: "
                                       "read one per line from stdin")
      ->expected(1 << 30, 1 << 30)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->option_text("...");
  cmd->callback([opts] {
    fs::path path = opts->tokenizer.empty() ? default_tokenizer_path() : fs::path(opts->tokenizer);
    const data::Tokenizer tokenizer = opts->file_added_tokens ? data::Tokenizer::from_file(path)
                                                              : data::load_qwen2vl_tokenizer(path);
    auto run = [&](const std::string& text) {
      if (opts->decode) {
        fmt::print("{}\n", tokenizer.decode(parse_ids(text), opts->skip_special));
      } else {
        fmt::print("{}\n", nlohmann::json(tokenizer.encode(text)).dump());
      }
    };
    if (!opts->texts.empty()) {
      for (const auto& text : opts->texts) run(text);
    } else {
      std::string line;
      while (std::getline(std::cin, line)) {
        if (!opts->json_lines) {
          run(line);
          continue;
        }
        nlohmann::json j;
        try {
          j = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception&) {
        }
        if (!j.is_string()) fail("--json-lines: stdin line is not a JSON string: {}", line);
        run(j.get<std::string>());
      }
    }
  });
}

}  // namespace oqvl::cli
