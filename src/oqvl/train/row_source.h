// Where training rows come from, one at a time, in a deterministic order with a resumable
// position. A row is one packed sequence (pre-training) or one conversation (SFT), before image
// decoding and expansion. Implementations: packed_source.h (data mix manifests), sft_source.h.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace oqvl::train {

// The position of the next row: epoch, then an entry (manifest shard) and an index inside it
// (pre-training), or the index into the epoch's shuffled order (SFT, entry unused). `offset` is
// where the next row starts in the entry's shard (a hint that makes resuming O(1); 0 = unknown).
struct DataPosition {
  std::int64_t epoch = 0;
  std::int64_t entry = 0;
  std::int64_t index = 0;
  std::uint64_t offset = 0;

  nlohmann::json to_json() const;
  static DataPosition from_json(const nlohmann::json& j);  // oqvl::Error on missing keys
  bool operator==(const DataPosition&) const = default;
};

struct Row {
  std::vector<std::int64_t> ids;     // placeholders (-200) where images go
  std::vector<std::int64_t> labels;  // empty: the ids themselves (pre-training); else one per id
  std::vector<std::int64_t>
      sample_text_lengths;          // ids of each packed sample, in order (per-sample attention)
  std::vector<std::string> images;  // encoded images, one per placeholder, in order
  std::int64_t samples = 1;         // source samples in the row (captions or conversations)
  std::string key;                  // for error messages
};

class RowSource {
 public:
  virtual ~RowSource() = default;
  // The next row (the source moves on to the next epoch by itself), or nullopt when there is no
  // data at all.
  virtual std::optional<Row> next() = 0;
  // Where next() continues.
  virtual DataPosition position() const = 0;
  // Continue at `position` (as position() returned it).
  virtual void seek(const DataPosition& position) = 0;
  // Rows in one epoch.
  virtual std::int64_t rows_per_epoch() const = 0;
};

}  // namespace oqvl::train
