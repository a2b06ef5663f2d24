#include "oqvl/data/pack/mix.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <filesystem>
#include <numeric>

#include "oqvl/core/error.h"
#include "oqvl/core/interrupt.h"
#include "oqvl/core/files.h"
#include "oqvl/core/hash.h"
#include "oqvl/core/random.h"
#include "oqvl/data/io/shard_list.h"
#include "oqvl/data/io/tar_reader.h"

namespace oqvl::data {
namespace fs = std::filesystem;

namespace {

double parse_positive(const std::string& spec, const std::string& key, const std::string& value) {
  std::size_t used = 0;
  double x = 0;
  try {
    x = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || value.empty() || !std::isfinite(x) || x <= 0) {
    fail("bad --source '{}': {} must be a positive number, got '{}'", spec, key, value);
  }
  return x;
}

template <typename T>
void shuffle(std::vector<T>& v, SplitMix64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

}  // namespace

MixSourceSpec parse_mix_source(const std::string& spec) {
  std::size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) {
    fail("bad --source '{}': expected NAME=SHARDS[:epochs=E|:weight=W]", spec);
  }
  MixSourceSpec s;
  s.name = spec.substr(0, eq);
  for (char c : s.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      fail("bad --source '{}': name '{}' may only have letters, digits, '_' and '-'", spec, s.name);
    }
  }
  std::string rest = spec.substr(eq + 1);
  // Options are trailing ":key=value" parts; a ':' elsewhere stays part of the shard spec.
  while (true) {
    std::size_t colon = rest.rfind(':');
    if (colon == std::string::npos) break;
    std::string option = rest.substr(colon + 1);
    std::size_t oeq = option.find('=');
    std::string key = option.substr(0, oeq);
    if (oeq == std::string::npos || (key != "epochs" && key != "weight")) {
      if (option.find('=') != std::string::npos) {
        fail("bad --source '{}': unknown option '{}' (use epochs= or weight=)", spec, key);
      }
      break;
    }
    std::optional<double>& slot = key == "epochs" ? s.epochs : s.weight;
    if (slot) fail("bad --source '{}': {} given twice", spec, key);
    slot = parse_positive(spec, key, option.substr(oeq + 1));
    rest.resize(colon);
  }
  if (s.epochs && s.weight) fail("bad --source '{}': give epochs or weight, not both", spec);
  if (!s.epochs && !s.weight) s.epochs = 1.0;
  if (rest.empty()) fail("bad --source '{}': no shards", spec);
  s.shards = rest;
  return s;
}

std::uint64_t packed_shard_sequences(const std::string& shard) {
  fs::path path(shard);
  if (path.extension() == ".tar") {
    fs::path stats = path.parent_path() / (path.stem().string() + ".stats.json");
    if (fs::exists(stats)) {
      try {
        return nlohmann::json::parse(read_file(stats)).at("sequences").get<std::uint64_t>();
      } catch (const nlohmann::json::exception& e) {
        fail("{}: not a pack stats file ({})", stats.string(), e.what());
      }
    }
  }
  std::uint64_t n = 0;
  TarReader reader(shard);
  while (reader.next()) {
    throw_if_interrupted("mix");
    ++n;
  }
  return n;
}

Mixture make_mixture(const std::vector<MixSourceSpec>& sources, const MixOptions& options,
                     std::uint64_t (*count)(const std::string&)) {
  if (sources.empty()) fail("no --source given");
  Mixture mix;
  mix.seed = options.seed;
  std::vector<std::vector<std::string>> shards(sources.size());
  std::vector<std::vector<std::uint64_t>> counts(sources.size());
  std::uint64_t all = 0;
  double weights = 0;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (sources[j].name == sources[i].name) fail("two --source named '{}'", sources[i].name);
    }
    MixSourceResult r;
    r.spec = sources[i];
    shards[i] = expand_shard_specs({sources[i].shards});
    for (const std::string& s : shards[i]) {
      counts[i].push_back(count(s));
      r.available += counts[i].back();
    }
    r.shards = shards[i].size();
    if (r.available == 0) fail("source '{}' ({}) has no packed sequences", r.spec.name, r.spec.shards);
    all += r.available;
    if (r.spec.weight) weights += *r.spec.weight;
    mix.sources.push_back(r);
  }
  std::uint64_t budget = options.sequences ? options.sequences : all;
  double fixed = 0;
  for (auto& r : mix.sources) {
    if (r.spec.epochs) {
      r.target = static_cast<std::uint64_t>(std::llround(*r.spec.epochs * static_cast<double>(r.available)));
      fixed += static_cast<double>(r.target);
    }
  }
  if (weights > 0) {
    double left = static_cast<double>(budget) - fixed;
    if (left < 1) {
      fail("the epoch sources take {} sequences of the budget of {}: nothing is left for the "
           "weighted sources (raise --sequences)",
           fixed, budget);
    }
    for (auto& r : mix.sources) {
      if (r.spec.weight) r.target = static_cast<std::uint64_t>(std::llround(left * *r.spec.weight / weights));
    }
  }

  for (std::size_t i = 0; i < mix.sources.size(); ++i) {
    MixSourceResult& r = mix.sources[i];
    // Seeded by name, so a source's stream does not depend on its place on the command line.
    SplitMix64 rng(options.seed ^ fnv1a64(r.spec.name));
    std::vector<std::size_t> order(shards[i].size());
    std::uint64_t pass = 0;
    while (r.selected < r.target) {
      std::iota(order.begin(), order.end(), std::size_t{0});
      shuffle(order, rng);
      for (std::size_t k : order) {
        if (r.selected >= r.target) break;
        if (counts[i][k] == 0) continue;
        mix.entries.push_back({shards[i][k], r.spec.name, counts[i][k], pass});
        r.selected += counts[i][k];
      }
      ++pass;
    }
    mix.sequences += r.selected;
  }
  SplitMix64 rng(options.seed);
  shuffle(mix.entries, rng);
  return mix;
}

nlohmann::json Mixture::to_json() const {
  nlohmann::json j;
  j["format"] = "oqvl-mixture";
  j["version"] = kMixtureVersion;
  j["seed"] = seed;
  j["sequences"] = sequences;
  j["sources"] = nlohmann::json::array();
  for (const auto& r : sources) {
    nlohmann::json s;
    s["name"] = r.spec.name;
    s["shards_spec"] = r.spec.shards;
    if (r.spec.epochs) s["epochs"] = *r.spec.epochs;
    if (r.spec.weight) s["weight"] = *r.spec.weight;
    s["shards"] = r.shards;
    s["available_sequences"] = r.available;
    s["target_sequences"] = r.target;
    s["selected_sequences"] = r.selected;
    s["effective_epochs"] = static_cast<double>(r.selected) / static_cast<double>(r.available);
    j["sources"].push_back(s);
  }
  j["entries"] = nlohmann::json::array();
  for (const auto& e : entries) {
    j["entries"].push_back(
        {{"shard", e.shard}, {"source", e.source}, {"sequences", e.sequences}, {"pass", e.pass}});
  }
  return j;
}

namespace {

// Typed access to a manifest's keys; `where` names the object ("sources[1]") in errors.
struct ManifestObject {
  const nlohmann::json& j;
  std::string where;

  const nlohmann::json& at(const char* key) const {
    if (!j.is_object()) fail("{}: expected an object, got {}", where, j.type_name());
    auto it = j.find(key);
    if (it == j.end()) fail("{}missing key '{}'", where.empty() ? "" : where + ": ", key);
    return *it;
  }
  std::string name(const char* key) const { return where.empty() ? key : where + "." + key; }
  std::string string(const char* key) const {
    const auto& v = at(key);
    if (!v.is_string()) fail("{}: expected a string, got {}", name(key), v.dump());
    return v.get<std::string>();
  }
  // nlohmann would wrap a negative integer into a huge uint64: check the kind first.
  std::uint64_t count(const char* key) const {
    const auto& v = at(key);
    if (!v.is_number_unsigned()) fail("{}: expected a non-negative integer, got {}", name(key), v.dump());
    return v.get<std::uint64_t>();
  }
  std::optional<double> positive(const char* key) const {
    auto it = j.find(key);
    if (it == j.end()) return std::nullopt;
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() <= 0) {
      fail("{}: expected a positive number, got {}", name(key), it->dump());
    }
    return it->get<double>();
  }
  const nlohmann::json& array(const char* key) const {
    const auto& v = at(key);
    if (!v.is_array()) fail("{}: expected an array, got {}", name(key), v.type_name());
    return v;
  }
};

}  // namespace

Mixture Mixture::from_json(const nlohmann::json& j) {
  ManifestObject top{j, ""};
  if (!j.is_object()) fail("not a mixture manifest: expected a JSON object, got {}", j.type_name());
  if (top.string("format") != "oqvl-mixture") {
    fail("not a mixture manifest: format is '{}', expected 'oqvl-mixture'", top.string("format"));
  }
  const auto& version = top.at("version");
  if (!version.is_number_integer() || version.get<std::int64_t>() != kMixtureVersion) {
    fail("mixture manifest version {} is not one this oqvl reads ({}): write it again with this "
         "oqvl's `oqvl data mix`",
         version.dump(), kMixtureVersion);
  }
  Mixture m;
  m.seed = top.count("seed");
  m.sequences = top.count("sequences");
  const auto& sources = top.array("sources");
  if (sources.empty()) fail("sources: the manifest has no source");
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    ManifestObject o{sources[i], fmt::format("sources[{}]", i)};
    MixSourceResult r;
    r.spec.name = o.string("name");
    if (r.spec.name.empty()) fail("{}.name: empty", o.where);
    if (!index.emplace(r.spec.name, i).second)
      fail("{}.name: a second source named '{}'", o.where, r.spec.name);
    r.spec.shards = o.string("shards_spec");
    r.spec.epochs = o.positive("epochs");
    r.spec.weight = o.positive("weight");
    if (r.spec.epochs.has_value() == r.spec.weight.has_value()) {
      fail("{}: needs exactly one of 'epochs' and 'weight'", o.where);
    }
    r.shards = o.count("shards");
    r.available = o.count("available_sequences");
    r.target = o.count("target_sequences");
    r.selected = o.count("selected_sequences");
    m.sources.push_back(std::move(r));
  }
  const auto& entries = top.array("entries");
  std::vector<std::uint64_t> selected(m.sources.size(), 0);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    ManifestObject o{entries[i], fmt::format("entries[{}]", i)};
    MixEntry e;
    e.shard = o.string("shard");
    if (e.shard.empty()) fail("{}.shard: empty", o.where);
    e.source = o.string("source");
    auto it = index.find(e.source);
    if (it == index.end()) fail("{}.source: '{}' is not one of the manifest's sources", o.where, e.source);
    e.sequences = o.count("sequences");
    e.pass = o.count("pass");
    selected[it->second] += e.sequences;
    total += e.sequences;
    m.entries.push_back(std::move(e));
  }
  for (std::size_t i = 0; i < m.sources.size(); ++i) {
    if (selected[i] != m.sources[i].selected) {
      fail("sources[{}].selected_sequences: {}, but its entries hold {} sequences", i, m.sources[i].selected,
           selected[i]);
    }
  }
  if (total != m.sequences) fail("sequences: {}, but the entries hold {}", m.sequences, total);
  return m;
}

Mixture Mixture::load(const fs::path& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not JSON ({})", path.string(), e.what());
  }
  try {
    return from_json(j);
  } catch (const Error& e) {
    fail("{}: {}", path.string(), e.what());
  }
}

}  // namespace oqvl::data
