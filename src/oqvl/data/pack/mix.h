// Training mixtures: a manifest that lists packed shards from several sources in a seeded,
// shuffled order, each source taken a number of epochs or by weight (the paper mixes CCS
// 8.5M with DataComp 19.9M pairs). The trainer reads the manifest (docs/formats.md).
//
// Source spec: NAME=SHARDS[:epochs=E][:weight=W] where SHARDS is one shard spec (file, glob,
// brace range, @list.txt). epochs=E (default 1, may be fractional): E times the source's
// sequences. weight=W: the sequences left in the budget after the epoch sources are split
// among the weighted sources in proportion to W; the budget is --sequences, by default every
// source's sequences once. Whole passes over a source visit every shard once in a shuffled
// order; a fractional pass takes a seeded random subset of shards (whole shards, so a source
// can get up to one shard more than its target).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace oqvl::data {

struct MixSourceSpec {
  std::string name;
  std::string shards;            // one shard spec
  std::optional<double> epochs;  // exactly one of epochs / weight is set after parsing
  std::optional<double> weight;
};

// Parses "NAME=SHARDS[:epochs=E][:weight=W]"; throws oqvl::Error saying what is wrong.
MixSourceSpec parse_mix_source(const std::string& spec);

// Sequences in a packed shard: "sequences" of the `{stem}.stats.json` beside it (written by
// `oqvl data pack`), else counted by reading the shard.
std::uint64_t packed_shard_sequences(const std::string& shard);

struct MixOptions {
  std::uint64_t seed = 0;
  std::uint64_t sequences = 0;  // budget for weighted sources (0 = every source once)
};

struct MixEntry {
  std::string shard;
  std::string source;
  std::uint64_t sequences = 0;
  std::uint64_t pass = 0;  // which pass over its source (0-based)
};

struct MixSourceResult {
  MixSourceSpec spec;
  std::uint64_t shards = 0;
  std::uint64_t available = 0;  // sequences in all its shards
  std::uint64_t target = 0;     // sequences asked for
  std::uint64_t selected = 0;   // sequences in its manifest entries
};

// The manifest format version Mixture::to_json writes and from_json reads.
inline constexpr int kMixtureVersion = 1;

struct Mixture {
  std::vector<MixSourceResult> sources;
  std::vector<MixEntry> entries;  // training order
  std::uint64_t seed = 0;
  std::uint64_t sequences = 0;  // sum over entries
  nlohmann::json to_json() const;

  // The manifest to_json wrote, read back and checked: format and version, every key present
  // with its type (counts are non-negative integers, epochs/weight positive numbers, exactly
  // one of them per source), entries naming known sources, and the totals adding up
  // (`sequences`, each source's `selected_sequences`). Throws oqvl::Error naming the key
  // ("sources[1].weight: ...").
  static Mixture from_json(const nlohmann::json& j);
  // from_json of a manifest file; errors start with the path.
  static Mixture load(const std::filesystem::path& path);
};

// Builds the mixture; `count` gives the sequences of a shard (packed_shard_sequences by
// default; tests pass their own). Same sources, counts and seed = same mixture.
Mixture make_mixture(const std::vector<MixSourceSpec>& sources, const MixOptions& options,
                     std::uint64_t (*count)(const std::string&) = packed_shard_sequences);

}  // namespace oqvl::data
