// Pre-training rows from a `oqvl data mix` manifest (data/pack/mix.h): the manifest's entries in
// order, each packed shard's sequences in order; every epoch after the first visits the entries
// in a new seeded order. Rows are read with data::PackedShardReader (checked on the way).
// Not thread-safe: the loader's producer thread owns it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "oqvl/data/pack/mix.h"
#include "oqvl/data/pack/packed_reader.h"
#include "oqvl/train/row_source.h"

namespace oqvl::train {

class PackedSource : public RowSource {
 public:
  // oqvl::Error when the manifest is unreadable or lists no sequences.
  PackedSource(const std::filesystem::path& manifest, std::uint64_t seed);

  std::optional<Row> next() override;
  DataPosition position() const override { return position_; }
  void seek(const DataPosition& position) override;
  std::int64_t rows_per_epoch() const override { return static_cast<std::int64_t>(mixture_.sequences); }

 private:
  void open_entry();
  std::int64_t entry_of(std::int64_t epoch, std::int64_t slot) const;

  data::Mixture mixture_;
  std::uint64_t seed_;
  DataPosition position_;
  std::unique_ptr<data::PackedShardReader> reader_;
  std::int64_t reader_epoch_ = -1, reader_entry_ = -1;
};

}  // namespace oqvl::train
