// DataComp / DFN uid lists: a sorted set of 128-bit sample uids read from a numpy .npy file.
//
// DataComp's filters save the uids they keep as a numpy array of two little-endian uint64 per
// uid, (uid >> 64, uid & (2^64 - 1)), sorted (docs/recipe.md §1.3). Two dtypes are seen in the wild and
// both are accepted: the structured `[('f0', '<u8'), ('f1', '<u8')]` (any two field names) of
// shape (n,), and plain `'<u8'` of shape (n, 2) (C order). The .npy header (format versions 1,
// 2 and 3) is parsed here; anything else — another dtype, big-endian, Fortran order, a
// truncated body — is an oqvl::Error naming the file. The sample json's "uid" is the same
// number as 32 lower-case hex digits: f"{hi:016x}{lo:016x}".
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oqvl::data {

struct Sample;

struct Uid128 {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  auto operator<=>(const Uid128&) const = default;
};

// Parses 32 hex digits (either case); nullopt for anything else.
std::optional<Uid128> parse_uid_hex(std::string_view hex);
// 32 lower-case hex digits.
std::string format_uid_hex(Uid128 uid);

// A sample's uid, the one rule that filter and the scorers share: the sample json's "uid" when it
// is a string of 32 hex digits (DataComp's form), else nullopt (no json field, json that does not
// parse, no "uid", or another form).
std::optional<Uid128> sample_uid(const nlohmann::json& sample_json);
std::optional<Uid128> sample_uid(const Sample& sample);

class UidSet {
 public:
  UidSet() = default;
  // Reads a .npy uid list (see above); sorts it if the file is not sorted.
  static UidSet load_npy(const std::filesystem::path& path);
  // Parses an in-memory .npy file; `name` is used in error messages.
  static UidSet parse_npy(std::string_view bytes, const std::string& name);
  static UidSet from(std::vector<Uid128> uids);

  bool contains(Uid128 uid) const;
  std::size_t size() const { return uids_.size(); }
  const std::vector<Uid128>& uids() const { return uids_; }

 private:
  std::vector<Uid128> uids_;  // sorted
};

}  // namespace oqvl::data
