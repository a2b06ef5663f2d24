#include "oqvl/data/text/bpe.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <queue>
#include <unordered_map>

#include "oqvl/data/text/unicode.h"

namespace oqvl::data {
namespace {

// bytes_to_unicode() of GPT-2: printable Latin-1 bytes stand for themselves, the other 68
// bytes are shifted to U+0100.. in byte order.
struct ByteLevelMap {
  std::array<char32_t, 256> to_char{};
  std::array<std::int16_t, 324> to_byte{};
  ByteLevelMap() {
    to_byte.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      to_char[b] = printable ? char32_t(b) : next++;
      to_byte[to_char[b]] = static_cast<std::int16_t>(b);
    }
  }
};

const ByteLevelMap& byte_level_map() {
  static const ByteLevelMap map;
  return map;
}

// Words up to this many bytes merge with an O(n^2) scan over a stack array (fastest for the
// short words that make up nearly all text); longer ones use a heap so that a pathological
// 100 KB "word" stays O(n log n).
constexpr std::size_t kShortWord = 128;
// Words longer than this are not cached (rare, and they would evict many short ones).
constexpr std::size_t kMaxCachedWord = 64;
constexpr std::size_t kMaxCacheEntries = 1 << 16;

std::atomic<std::uint64_t> next_cache_owner{1};

// Per-thread word cache. Per-thread rather than shared so that many pipeline threads never
// contend on a lock; a thread that alternates between two encoders just refills it.
struct WordCache {
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Entry {
    std::uint32_t offset, length;
  };
  std::uint64_t owner = 0;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> index;
  std::vector<std::int32_t> ids;

  void reset(std::uint64_t new_owner) {
    owner = new_owner;
    index.clear();
    ids.clear();
  }
};

}  // namespace

std::string bytes_to_byte_level(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) unicode::append_utf8(out, byte_level_map().to_char[b]);
  return out;
}

bool byte_level_to_bytes(std::string_view token, std::string& bytes) {
  const auto& map = byte_level_map();
  bytes.clear();
  if (unicode::valid_utf8_prefix(token) != token.size()) return false;
  for (std::size_t pos = 0; pos < token.size();) {
    char32_t c = unicode::next_code_point(token, pos);
    if (c >= map.to_byte.size() || map.to_byte[c] < 0) return false;
    bytes.push_back(static_cast<char>(map.to_byte[c]));
  }
  return true;
}

BytePairEncoder::BytePairEncoder(const std::int32_t (&byte_ids)[256], const std::vector<Merge>& merges)
    : cache_owner_(next_cache_owner.fetch_add(1)) {
  std::copy(byte_ids, byte_ids + 256, byte_ids_);
  std::size_t capacity = 16;
  shift_ = 60;
  while (capacity < merges.size() * 2) {
    capacity *= 2;
    --shift_;
  }
  slots_.assign(capacity, Slot{kEmpty, 0, 0});
  mask_ = capacity - 1;
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const Merge& m = merges[rank];
    std::uint64_t key = (std::uint64_t(std::uint32_t(m.left)) << 32) | std::uint32_t(m.right);
    std::size_t i = (key * 0x9E3779B97F4A7C15ull) >> shift_;
    while (slots_[i].key != kEmpty && slots_[i].key != key) i = (i + 1) & mask_;
    // A duplicated pair keeps its first (lowest) rank, as HF does.
    if (slots_[i].key == key) continue;
    slots_[i] = Slot{key, static_cast<std::int32_t>(rank), m.merged};
  }
}

void BytePairEncoder::encode_word(std::string_view word, std::vector<std::int32_t>& out) const {
  if (word.size() == 1) {
    out.push_back(byte_ids_[static_cast<unsigned char>(word[0])]);
    return;
  }
  if (word.size() > kMaxCachedWord) {
    encode_word_uncached(word, out);
    return;
  }
  thread_local WordCache cache;
  if (cache.owner != cache_owner_ || cache.index.size() >= kMaxCacheEntries) cache.reset(cache_owner_);
  if (auto it = cache.index.find(word); it != cache.index.end()) {
    const auto* begin = cache.ids.data() + it->second.offset;
    out.insert(out.end(), begin, begin + it->second.length);
    return;
  }
  std::size_t first = out.size();
  encode_word_uncached(word, out);
  auto offset = static_cast<std::uint32_t>(cache.ids.size());
  cache.ids.insert(cache.ids.end(), out.begin() + first, out.end());
  cache.index.emplace(std::string(word), WordCache::Entry{offset, std::uint32_t(out.size() - first)});
}

void BytePairEncoder::encode_word_uncached(std::string_view word, std::vector<std::int32_t>& out) const {
  if (word.empty()) return;
  if (word.size() <= kShortWord) {
    encode_short(word, out);
  } else {
    encode_long(word, out);
  }
}

// Repeatedly merges the adjacent pair of lowest rank (the leftmost one on ties), keeping each
// pair's rank in an array so that a merge only re-looks-up its two neighbours.
void BytePairEncoder::encode_short(std::string_view word, std::vector<std::int32_t>& out) const {
  std::array<std::int32_t, kShortWord> sym;
  std::array<std::int32_t, kShortWord> rank;    // rank[k]: pair (sym[k], sym[k+1])
  std::array<std::int32_t, kShortWord> merged;  // merged[k]: its result
  std::size_t n = word.size();
  for (std::size_t k = 0; k < n; ++k) sym[k] = byte_ids_[static_cast<unsigned char>(word[k])];
  auto lookup = [&](std::size_t k) {
    const Slot* s = find(sym[k], sym[k + 1]);
    rank[k] = s ? s->rank : INT_MAX;
    merged[k] = s ? s->merged : -1;
  };
  for (std::size_t k = 0; k + 1 < n; ++k) lookup(k);
  while (n > 1) {
    std::size_t best = 0;
    for (std::size_t k = 1; k + 1 < n; ++k)
      if (rank[k] < rank[best]) best = k;
    if (rank[best] == INT_MAX) break;
    sym[best] = merged[best];
    for (std::size_t k = best + 1; k + 1 < n; ++k) {
      sym[k] = sym[k + 1];
      rank[k] = rank[k + 1];
      merged[k] = merged[k + 1];
    }
    --n;
    if (best + 1 < n) lookup(best);
    if (best > 0) lookup(best - 1);
  }
  out.insert(out.end(), sym.begin(), sym.begin() + n);
}

// The same merge order with a doubly linked list of symbols and a min-heap of candidate pairs
// (rank, left position); stale heap entries are recognised by their ids and skipped.
void BytePairEncoder::encode_long(std::string_view word, std::vector<std::int32_t>& out) const {
  const std::size_t n = word.size();
  std::vector<std::int32_t> sym(n);
  std::vector<std::int64_t> prev(n), next(n);
  for (std::size_t k = 0; k < n; ++k) {
    sym[k] = byte_ids_[static_cast<unsigned char>(word[k])];
    prev[k] = static_cast<std::int64_t>(k) - 1;
    next[k] = k + 1 < n ? static_cast<std::int64_t>(k + 1) : -1;
  }
  struct Candidate {
    std::int32_t rank;
    std::int64_t pos;
    std::int32_t left, right, merged;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto push = [&](std::int64_t pos) {
    if (pos < 0 || next[pos] < 0) return;
    if (const Slot* s = find(sym[pos], sym[next[pos]]))
      heap.push({s->rank, pos, sym[pos], sym[next[pos]], s->merged});
  };
  for (std::size_t k = 0; k + 1 < n; ++k) push(static_cast<std::int64_t>(k));
  std::vector<bool> alive(n, true);
  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    if (!alive[c.pos] || next[c.pos] < 0 || sym[c.pos] != c.left || sym[next[c.pos]] != c.right) continue;
    std::int64_t gone = next[c.pos];
    sym[c.pos] = c.merged;
    alive[gone] = false;
    next[c.pos] = next[gone];
    if (next[gone] >= 0) prev[next[gone]] = c.pos;
    push(prev[c.pos]);
    push(c.pos);
  }
  for (std::int64_t k = 0; k >= 0; k = next[k]) out.push_back(sym[k]);
}

}  // namespace oqvl::data
