// `oqvl data inspect`: what is in a set of WebDataset shards — samples, field extensions and
// their combinations, byte sizes, and the first captions — per shard and in total.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "oqvl/commands.h"
#include "oqvl/core/bad_input.h"
#include "oqvl/core/progress.h"
#include "oqvl/data/io/sample.h"
#include "oqvl/data/io/shard_list.h"
#include "oqvl/data/io/tar_reader.h"

namespace oqvl::cli {
namespace {

struct SizeStats {
  std::uint64_t count = 0, bytes = 0;
  std::uint64_t min = std::numeric_limits<std::uint64_t>::max(), max = 0;
  void add(std::uint64_t n) {
    ++count;
    bytes += n;
    min = std::min(min, n);
    max = std::max(max, n);
  }
  void merge(const SizeStats& o) {
    count += o.count;
    bytes += o.bytes;
    min = std::min(min, o.min);
    max = std::max(max, o.max);
  }
  nlohmann::json json() const {
    return {{"count", count}, {"bytes", bytes}, {"min", count ? min : 0}, {"max", max},
            {"mean", count ? static_cast<double>(bytes) / static_cast<double>(count) : 0.0}};
  }
};

struct ShardSummary {
  std::string path;
  std::uint64_t samples = 0, file_bytes = 0;
  std::string first_key, last_key;
  std::map<std::string, SizeStats> fields;            // by extension
  std::map<std::string, std::uint64_t> field_sets;    // "jpg,json,txt" -> samples
  SizeStats members;                                  // every member
  std::map<std::string, std::uint64_t> skipped;
  std::vector<std::pair<std::string, std::string>> captions;  // (key, txt)

  void merge(const ShardSummary& o) {
    samples += o.samples;
    file_bytes += o.file_bytes;
    for (const auto& [e, s] : o.fields) fields[e].merge(s);
    for (const auto& [k, n] : o.field_sets) field_sets[k] += n;
    members.merge(o.members);
    for (const auto& [r, n] : o.skipped) skipped[r] += n;
  }
  nlohmann::json json() const {
    nlohmann::json j{{"path", path}, {"samples", samples}, {"file_bytes", file_bytes},
                     {"payload_bytes", members.bytes}, {"members", members.json()},
                     {"field_sets", field_sets}, {"skipped", skipped}};
    if (!first_key.empty()) j["first_key"] = first_key, j["last_key"] = last_key;
    for (const auto& [e, s] : fields) j["fields"][e] = s.json();
    for (const auto& [k, t] : captions) j["captions"].push_back({{"key", k}, {"txt", t}});
    return j;
  }
};

ShardSummary inspect_shard(const std::string& path, std::size_t n_captions, bool skip_bad) {
  ShardSummary sum;
  sum.path = path;
  std::error_code ec;
  if (path != "-") sum.file_bytes = std::filesystem::file_size(path, ec);
  SkipCounter skipped;
  data::TarReader reader(path, {.on_bad = skip_bad ? OnBadInput::kSkip : OnBadInput::kFail,
                                .skipped = &skipped});
  while (auto s = reader.next()) {
    if (sum.samples == 0) sum.first_key = s->key;
    sum.last_key = s->key;
    ++sum.samples;
    std::string set;
    for (const auto& f : s->fields) {
      sum.fields[f.ext].add(f.bytes.size());
      sum.members.add(f.bytes.size());
      set += (set.empty() ? "" : ",") + f.ext;
    }
    ++sum.field_sets[set];
    if (sum.captions.size() < n_captions) {
      if (const data::Field* txt = s->find(data::kTextExtensions)) {
        sum.captions.emplace_back(s->key, txt->bytes);
      }
    }
  }
  sum.skipped = skipped.by_reason();
  return sum;
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

void print_text(const ShardSummary& s, bool is_total) {
  if (is_total) {
    fmt::print("total: {} samples, {} file bytes, {} payload bytes\n", s.samples, s.file_bytes,
               s.members.bytes);
  } else {
    fmt::print("shard {}\n  samples: {}  file bytes: {}  payload bytes: {}\n", s.path, s.samples,
               s.file_bytes, s.members.bytes);
    if (s.samples) fmt::print("  keys: {} ... {}\n", s.first_key, s.last_key);
  }
  const char* ind = "  ";
  if (s.members.count) {
    fmt::print("{}members: {}  size min {}  mean {:.0f}  max {}\n", ind, s.members.count,
               s.members.min, static_cast<double>(s.members.bytes) / static_cast<double>(s.members.count),
               s.members.max);
  }
  for (const auto& [ext, st] : s.fields) {
    fmt::print("{}  .{:<8} {:>8} members  {:>12} bytes  min {}  mean {:.0f}  max {}\n", ind, ext,
               st.count, st.bytes, st.min, static_cast<double>(st.bytes) / static_cast<double>(st.count),
               st.max);
  }
  for (const auto& [set, n] : s.field_sets) fmt::print("{}  samples with {{{}}}: {}\n", ind, set, n);
  for (const auto& [reason, n] : s.skipped) fmt::print("{}skipped ({}): {}\n", ind, reason, n);
  if (!s.captions.empty()) fmt::print("{}first captions:\n", ind);
  for (const auto& [key, txt] : s.captions) fmt::print("{}  {}: {}\n", ind, key, one_line(txt));
}

}  // namespace

void register_data_inspect(CLI::App& data) {
  auto* cmd = data.add_subcommand(
      "inspect", "Summarise WebDataset tar shards: samples, fields, sizes, first captions");
  struct Args {
    std::vector<std::string> specs;
    std::size_t samples = 3;
    bool skip_bad = false, json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("shards", args->specs,
                  "Shards: files, globs ('d/*.tar'), brace ranges ('d/{00000..00099}.tar'), "
                  "@list.txt, or - for stdin")
      ->required();
  cmd->add_option("-n,--samples", args->samples, "Captions (txt fields) to print per shard")
      ->capture_default_str();
  cmd->add_flag("--skip-bad", args->skip_bad,
                "Skip bad samples and the rest of a bad shard (counted) instead of failing");
  cmd->add_flag("--json", args->json, "Machine-readable output (one JSON object)");
  cmd->callback([args] {
    auto shards = data::expand_shard_specs(args->specs);
    ShardSummary total;
    total.path = "total";
    nlohmann::json out{{"shards", nlohmann::json::array()}};
    Progress progress("inspect", shards.size(), "shards");
    for (const auto& path : shards) {
      ShardSummary s = inspect_shard(path, args->samples, args->skip_bad);
      progress.add();
      total.merge(s);
      if (args->json) {
        out["shards"].push_back(s.json());
      } else {
        print_text(s, false);
      }
    }
    progress.finish();
    if (args->json) {
      out["total"] = total.json();
      out["total"]["shards"] = shards.size();
      out["total"].erase("path");
      // Captions are not always valid UTF-8: replace bad bytes rather than fail.
      fmt::print("{}\n", out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else if (shards.size() > 1) {
      fmt::print("{} shards\n", shards.size());
      print_text(total, true);
    }
  });
}

}  // namespace oqvl::cli
