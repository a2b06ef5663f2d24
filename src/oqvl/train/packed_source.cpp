#include "oqvl/train/packed_source.h"

#include <numeric>

#include "oqvl/core/error.h"
#include "oqvl/core/random.h"
#include "oqvl/data/text/special_tokens.h"

namespace oqvl::train {

nlohmann::json DataPosition::to_json() const {
  return {{"epoch", epoch}, {"entry", entry}, {"index", index}, {"offset", offset}};
}

DataPosition DataPosition::from_json(const nlohmann::json& j) {
  DataPosition p;
  try {
    p.epoch = j.at("epoch").get<std::int64_t>();
    p.entry = j.at("entry").get<std::int64_t>();
    p.index = j.at("index").get<std::int64_t>();
    p.offset = j.at("offset").get<std::uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    fail("data position: {}", e.what());
  }
  return p;
}

PackedSource::PackedSource(const std::filesystem::path& manifest, std::uint64_t seed)
    : mixture_(data::Mixture::load(manifest)), seed_(seed) {
  if (mixture_.entries.empty() || mixture_.sequences == 0)
    fail("manifest '{}' lists no packed sequences", manifest.string());
}

// Epoch 0 follows the manifest (already a seeded shuffle); later epochs use a new permutation
// of the entries so passes differ, derived from (seed, epoch) alone.
std::int64_t PackedSource::entry_of(std::int64_t epoch, std::int64_t slot) const {
  if (epoch == 0) return slot;
  const auto n = mixture_.entries.size();
  std::vector<std::int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  SplitMix64 rng(seed_ * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch));
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  return order[slot];
}

void PackedSource::open_entry() {
  const auto& entry = mixture_.entries[entry_of(position_.epoch, position_.entry)];
  reader_ = std::make_unique<data::PackedShardReader>(entry.shard);
  reader_epoch_ = position_.epoch;
  reader_entry_ = position_.entry;
  if (position_.offset > 0) {
    reader_->start_at(position_.offset);
  } else {
    for (std::int64_t i = 0; i < position_.index; ++i)
      if (!reader_->next())
        fail("packed shard '{}' has fewer than {} sequences", entry.shard, position_.index);
  }
}

void PackedSource::seek(const DataPosition& position) {
  if (position.entry < 0 || position.entry >= static_cast<std::int64_t>(mixture_.entries.size()) ||
      position.epoch < 0 || position.index < 0)
    fail("data position (epoch {}, entry {}) is outside the manifest ({} entries)", position.epoch,
         position.entry, mixture_.entries.size());
  position_ = position;
  reader_.reset();
}

std::optional<Row> PackedSource::next() {
  for (int empty_entries = 0;; ++empty_entries) {
    if (empty_entries > static_cast<int>(mixture_.entries.size()) + 1) return std::nullopt;
    if (!reader_ || reader_epoch_ != position_.epoch || reader_entry_ != position_.entry) open_entry();
    // An entry holds the manifest's count of sequences (a shard that grew since is read only that far).
    const auto& entry = mixture_.entries[entry_of(position_.epoch, position_.entry)];
    std::optional<data::PackedSequence> seq;
    if (position_.index < static_cast<std::int64_t>(entry.sequences)) seq = reader_->next();
    if (!seq) {  // the entry is done: the next one, or the next epoch
      position_.index = 0;
      position_.offset = 0;
      if (++position_.entry == static_cast<std::int64_t>(mixture_.entries.size())) {
        position_.entry = 0;
        ++position_.epoch;
      }
      reader_.reset();
      continue;
    }
    Row row;
    row.key = seq->key;
    row.ids.reserve(seq->ids.size());
    for (auto id : seq->ids)
      row.ids.push_back(id == seq->image_placeholder_id ? static_cast<std::int64_t>(data::kImagePlaceholderId)
                                                        : static_cast<std::int64_t>(id));
    for (auto n : seq->text_lengths) row.sample_text_lengths.push_back(n);
    row.samples = static_cast<std::int64_t>(seq->samples());
    row.images.reserve(seq->images.size());
    for (auto& image : seq->images) row.images.push_back(std::move(image.bytes));
    ++position_.index;
    position_.offset = 0;  // the next sequence's offset is not known until it is read
    return row;
  }
}

}  // namespace oqvl::train
