// Byte-level BPE: the vocabulary as raw byte strings, the merge ranks keyed by the pair of ids
// they merge, and the merge loop that turns one pre-token into ids. No text handling here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace oqvl::data {

// GPT-2's reversible byte <-> printable-character mapping that tokenizer.json vocabularies are
// written in ("Ġ" is the space byte). bytes_to_byte_level("\n a") == "ĊĠa".
std::string bytes_to_byte_level(std::string_view bytes);
// The inverse; false if a character is not one of the 256 mapped characters.
bool byte_level_to_bytes(std::string_view token, std::string& bytes);

class BytePairEncoder {
 public:
  // One merge rule: ids `left` + `right` become `merged`; lower rank merges first.
  struct Merge {
    std::int32_t left, right, merged;
  };

  BytePairEncoder() = default;
  // byte_ids[b] is the id of the single byte b; merges are in rank order.
  BytePairEncoder(const std::int32_t (&byte_ids)[256], const std::vector<Merge>& merges);

  // Appends the ids of one pre-token (raw bytes). Thread-safe: a small per-thread cache of
  // recent words makes repeated words cost one hash lookup.
  void encode_word(std::string_view word, std::vector<std::int32_t>& out) const;

  // The same without the cache (what the cache stores; tests compare both).
  void encode_word_uncached(std::string_view word, std::vector<std::int32_t>& out) const;

 private:
  struct Slot {
    std::uint64_t key;
    std::int32_t rank;
    std::int32_t merged;
  };
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};

  const Slot* find(std::int32_t left, std::int32_t right) const {
    std::uint64_t key = (std::uint64_t(std::uint32_t(left)) << 32) | std::uint32_t(right);
    std::size_t i = (key * 0x9E3779B97F4A7C15ull) >> shift_;
    for (;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) return &s;
      if (s.key == kEmpty) return nullptr;
    }
  }
  void encode_short(std::string_view word, std::vector<std::int32_t>& out) const;
  void encode_long(std::string_view word, std::vector<std::int32_t>& out) const;

  std::int32_t byte_ids_[256] = {};
  std::vector<Slot> slots_;  // open addressing, linear probing, load <= 0.5
  std::size_t mask_ = 0;
  int shift_ = 64;
  std::uint64_t cache_owner_ = 0;  // distinguishes encoders in the per-thread cache
};

}  // namespace oqvl::data
