#include "oqvl/data/pack/pack_outputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"

namespace oqvl::data {
namespace fs = std::filesystem;

namespace {

// Dots would split a WebDataset key, so they become '_'.
std::string key_safe(std::string name) {
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

// "data/00012.tar" -> "00012".
std::string shard_stem(const std::string& shard) {
  if (shard == "-") return "stdin";
  std::string name = fs::path(shard).filename().string();
  if (name.size() > 4 && name.ends_with(".tar")) name.resize(name.size() - 4);
  name = key_safe(name);
  return name.empty() ? "stdin" : name;
}

// "--context: 4096 before, 2048 now; ..." for the keys in which two fingerprints differ.
std::string fingerprint_differences(const nlohmann::json& before, const nlohmann::json& now) {
  static const std::map<std::string, std::string> kWhat = {
      {"format_version", "packed format version (another oqvl version packed it)"},
      {"context", "--context"},
      {"image_tokens", "--image-tokens"},
      {"window", "--window"},
      {"store", "--store"},
      {"resized_side", "resized image side"},
      {"jpeg_quality", "resized JPEG quality"},
      {"decode_check", "--decode-check"},
      {"interleaved", "--interleaved"},
      {"tokenizer", "--tokenizer (file content)"}};
  std::map<std::string, std::pair<std::string, std::string>> values;
  if (before.is_object()) {
    for (const auto& [k, v] : before.items()) values[k].first = v.dump();
  }
  for (const auto& [k, v] : now.items()) values[k].second = v.dump();
  std::string out;
  for (const auto& [k, v] : values) {
    if (v.first == v.second) continue;
    auto what = kWhat.find(k);
    out += fmt::format("{}{}: {} before, {} now", out.empty() ? "" : "; ",
                       what == kWhat.end() ? k : what->second, v.first.empty() ? "unset" : v.first,
                       v.second.empty() ? "unset" : v.second);
  }
  return out;
}

[[noreturn]] void refuse_mixing(const fs::path& out, const std::string& what) {
  fail("{} holds packed shards made differently ({}): packing into it would mix them with new "
       "ones; use a fresh --out, or delete {} to start over",
       out.string(), what, out.string());
}

bool same_file(const std::string& a, const std::string& b) {
  if (a == b) return true;
  std::error_code ea, eb;
  fs::path ca = fs::weakly_canonical(a, ea), cb = fs::weakly_canonical(b, eb);
  return !ea && !eb && ca == cb;
}

}  // namespace

std::vector<std::string> pack_output_stems(const std::vector<std::string>& shards) {
  const std::size_t n = shards.size();
  std::vector<std::string> stems(n);
  std::vector<std::vector<std::string>> parents(n);  // nearest folder first
  std::vector<std::size_t> depth(n, 0);
  std::map<std::string, std::size_t> by_file;
  for (std::size_t i = 0; i < n; ++i) {
    stems[i] = shard_stem(shards[i]);
    // The same file twice would be packed twice (and named twice): refuse, however spelled.
    std::error_code ec;
    std::string file = shards[i] == "-" ? "-" : fs::weakly_canonical(fs::absolute(shards[i]), ec).string();
    if (ec) file = fs::absolute(shards[i]).lexically_normal().string();
    auto [it, fresh] = by_file.emplace(file, i);
    if (!fresh)
      fail("input shard {} is listed twice ({} and {}): each shard is packed once", file, shards[it->second],
           shards[i]);
    if (shards[i] != "-") {
      fs::path folder = fs::absolute(shards[i]).lexically_normal().parent_path();
      for (; folder.has_relative_path(); folder = folder.parent_path()) {
        parents[i].push_back(key_safe(folder.filename().string()));
      }
    }
  }
  auto name = [&](std::size_t i) {
    std::string out = stems[i];
    for (std::size_t d = 0; d < depth[i]; ++d) out = parents[i][d] + "_" + out;
    return out;
  };
  // Shards whose names collide take one more parent folder each round, until none collide
  // (one that has no folder left keeps its name; two such cannot be told apart).
  while (true) {
    std::map<std::string, std::vector<std::size_t>> users;
    for (std::size_t i = 0; i < n; ++i) users[name(i)].push_back(i);
    bool clash = false;
    for (const auto& [stem, who] : users) {
      if (who.size() < 2) continue;
      clash = true;
      std::vector<std::size_t> stuck;
      for (std::size_t i : who) {
        if (depth[i] < parents[i].size()) {
          ++depth[i];
        } else {
          stuck.push_back(i);
        }
      }
      if (stuck.size() > 1) {
        fail("input shards {} and {} would both write {}.tar: rename one", shards[stuck[0]], shards[stuck[1]],
             stem);
      }
    }
    if (!clash) break;
  }
  for (std::size_t i = 0; i < n; ++i) stems[i] = name(i);
  return stems;
}

nlohmann::json pack_fingerprint(const PackOptions& o) {
  nlohmann::json j;
  j["format_version"] = pack_format_version(o);
  // Only when set: folders packed before the flag existed keep their fingerprint.
  if (o.interleaved) j["interleaved"] = true;
  j["context"] = o.context;
  j["image_tokens"] = o.image_tokens;
  j["window"] = o.window;
  j["store"] = o.store == PackImageStore::kResized ? "resized" : "original";
  if (o.store == PackImageStore::kResized) {
    j["resized_side"] = o.resized_side;
    j["jpeg_quality"] = o.jpeg_quality;
  }
  j["decode_check"] = o.decode_check;
  j["tokenizer"] = o.tokenizer_fingerprint;
  return j;
}

std::vector<std::uint64_t> pack_input_bytes(const std::vector<std::string>& paths) {
  std::vector<std::uint64_t> sizes;
  for (const auto& p : paths) {
    std::error_code ec;
    std::uintmax_t n = p == "-" ? 0 : fs::file_size(p, ec);
    sizes.push_back(ec ? 0 : static_cast<std::uint64_t>(n));
  }
  return sizes;
}

std::optional<PackStats> completed_pack_window(const fs::path& out, const std::string& stem,
                                               const std::vector<std::string>& inputs,
                                               const nlohmann::json& fingerprint) {
  fs::path stats_path = out / (stem + ".stats.json");
  // The stats are written after the tar: both there = an earlier run finished the window.
  if (!fs::exists(stats_path) || !fs::exists(out / (stem + ".tar"))) return std::nullopt;
  nlohmann::json j;
  PackStats stats;
  try {
    j = nlohmann::json::parse(read_file(stats_path));
    stats = PackStats::from_json(j);
  } catch (const std::exception&) {
    return std::nullopt;  // unreadable: pack the window again
  }
  std::string window = stem + ".tar";
  if (!j.contains("options")) {
    refuse_mixing(out, window + " was packed by an oqvl that did not record its options");
  }
  if (j["options"] != fingerprint) {
    refuse_mixing(out, fmt::format("{}: {}", window, fingerprint_differences(j["options"], fingerprint)));
  }
  auto before = j.value("inputs", std::vector<std::string>{});
  bool same = before.size() == inputs.size();
  for (std::size_t i = 0; same && i < inputs.size(); ++i) same = same_file(before[i], inputs[i]);
  if (!same) {
    refuse_mixing(out, fmt::format("{} was packed from {}, its inputs now are {} (another input "
                                   "list, --window or --num-shards)",
                                   window, nlohmann::json(before).dump(), nlohmann::json(inputs).dump()));
  }
  auto sizes_before = j.value("input_bytes", std::vector<std::uint64_t>{});
  auto sizes = pack_input_bytes(inputs);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (i < sizes_before.size() && sizes_before[i] != sizes[i]) {
      refuse_mixing(out, fmt::format("input {} had {} bytes when {} was packed, now {}", inputs[i],
                                     sizes_before[i], window, sizes[i]));
    }
  }
  return stats;
}

void claim_pack_folder(const fs::path& out, const nlohmann::json& fingerprint, bool create) {
  fs::path path = out / "pack-options.json";
  if (create && write_file_if_absent(path, fingerprint.dump(2) + "\n")) return;
  if (!fs::exists(path)) return;
  nlohmann::json before = nlohmann::json::parse(read_file(path), nullptr, /*allow_exceptions=*/false);
  if (before.is_discarded())
    fail("{} is not JSON: delete it if {} holds no packed shards", path.string(), out.string());
  if (before != fingerprint) refuse_mixing(out, fingerprint_differences(before, fingerprint));
}

}  // namespace oqvl::data
