#include "oqvl/train/sft_source.h"

#include <fmt/format.h>

#include <numeric>
#include <vector>

#include "oqvl/core/bad_input.h"
#include "oqvl/core/error.h"
#include "oqvl/core/log.h"
#include "oqvl/core/random.h"
#include "oqvl/data/sft/conversation_file.h"
#include "oqvl/data/sft/sft_images.h"
#include "oqvl/data/sft/sft_prompt.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"

namespace oqvl::train {
namespace {

class SftSource : public RowSource {
 public:
  explicit SftSource(const SftSourceOptions& o)
      : options_(o),
        tokenizer_(load_tokenizer(o.tokenizer)),
        file_(o.file),
        images_(o.images, o.file.parent_path()) {
    prompt_.prompt_template = data::parse_sft_template(o.prompt_template);
    prompt_.strip_quirk = o.strip_quirk;
    prompt_.max_ids = o.max_ids;
    prompt_.bos_id = o.bos_id;
    log::info("SFT data: {} conversations in {} (template {})", file_.size(), o.file.string(),
              o.prompt_template);
  }

  ~SftSource() override {
    if (skipped_.total() > 0)
      for (const auto& [reason, n] : skipped_.by_reason())
        log::warn("SFT data: skipped {} samples: {}", n, reason);
  }

  std::optional<Row> next() override {
    if (file_.size() == 0) return std::nullopt;
    // With one good sample, at most 2 (n - 1) bad ones come in a row (the end of one epoch's
    // order, the start of the next), so more means there is none.
    for (std::size_t skipped = 0;; ++skipped) {
      if (skipped >= 2 * file_.size())
        fail("SFT data '{}': every sample was skipped as bad", options_.file.string());
      const auto sample = sample_at(position_.epoch, position_.index);
      // The position after an epoch's last row is the next epoch's start (one spelling).
      if (++position_.index == static_cast<std::int64_t>(file_.size())) {
        ++position_.epoch;
        position_.index = 0;
      }
      try {
        return make_row(sample);
      } catch (const Error& e) {
        if (!options_.skip_bad) throw;
        skipped_.add("bad sample or image");
        if (skipped_.total() <= 10) log::warn("SFT data: skipping: {}", e.what());
      }
    }
  }

  DataPosition position() const override { return position_; }

  void seek(const DataPosition& p) override {
    if (p.epoch < 0 || p.index < 0 || p.index > static_cast<std::int64_t>(file_.size()))
      fail("SFT data position (epoch {}, index {}) is outside '{}' ({} samples)", p.epoch, p.index,
           options_.file.string(), file_.size());
    position_ = DataPosition{p.epoch, 0, p.index, 0};
    if (position_.index == static_cast<std::int64_t>(file_.size()))
      position_ = DataPosition{p.epoch + 1, 0, 0, 0};
  }

  std::int64_t rows_per_epoch() const override { return static_cast<std::int64_t>(file_.size()); }

 private:
  static data::Tokenizer load_tokenizer(const std::filesystem::path& path) {
    if (path.empty()) fail("SFT data: no tokenizer.json given");
    return data::load_qwen2vl_tokenizer(path);
  }

  // Sample index at `slot` of `epoch`'s permutation (Fisher-Yates over SplitMix64 of (seed,
  // epoch), as PackedSource shuffles entries); the permutation is rebuilt only when the epoch
  // changes.
  std::size_t sample_at(std::int64_t epoch, std::int64_t slot) {
    if (epoch != order_epoch_) {
      order_.resize(file_.size());
      std::iota(order_.begin(), order_.end(), std::uint64_t{0});
      SplitMix64 rng(options_.seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch));
      for (std::size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[rng.below(i)]);
      order_epoch_ = epoch;
    }
    return static_cast<std::size_t>(order_[static_cast<std::size_t>(slot)]);
  }

  Row make_row(std::size_t index) const {
    const auto conversation = file_.at(index);
    auto tokens = data::tokenize_conversation(tokenizer_, conversation, prompt_);
    Row row;
    row.key = fmt::format("{} sample {} (id '{}')", options_.file.filename().string(), index,
                          conversation.id);
    if (tokens.images > 0) {
      // parse_conversation guarantees one marker per image and at most one image.
      try {
        row.images.push_back(images_.read(*conversation.image));
      } catch (const Error& e) {
        fail("{}: sample '{}': {}", file_.where(index), conversation.id, e.what());
      }
    }
    row.sample_text_lengths = {static_cast<std::int64_t>(tokens.ids.size())};
    row.ids = std::move(tokens.ids);
    row.labels = std::move(tokens.labels);
    row.samples = 1;
    return row;
  }

  SftSourceOptions options_;
  data::Tokenizer tokenizer_;
  data::ConversationFile file_;
  data::SftImages images_;
  data::SftPromptOptions prompt_;
  DataPosition position_;
  std::vector<std::uint64_t> order_;
  std::int64_t order_epoch_ = -1;
  SkipCounter skipped_;
};

}  // namespace

std::unique_ptr<RowSource> make_sft_source(const SftSourceOptions& options) {
  return std::make_unique<SftSource>(options);
}

}  // namespace oqvl::train
