#include "oqvl/train/loader.h"

#include <chrono>
#include <span>

#include "oqvl/core/error.h"
#include "oqvl/data/text/special_tokens.h"

namespace oqvl::train {

MicroBatch collate(std::vector<Row>& rows, const model::VlmConfig& config, const LoaderOptions& options,
                   ThreadPool* pool) {
  MicroBatch mb;
  const auto B = static_cast<std::int64_t>(rows.size());
  std::int64_t T = 1, images = 0, S = 1;
  for (const auto& r : rows) {
    T = std::max<std::int64_t>(T, r.ids.size());
    images += static_cast<std::int64_t>(r.images.size());
    S = std::max<std::int64_t>(S, r.sample_text_lengths.size());
    mb.samples += r.samples;
  }
  auto ids = torch::full({B, T}, static_cast<std::int64_t>(config.pad_id), torch::kInt64);
  auto lengths = torch::empty({B}, torch::kInt64);
  const bool has_labels = !rows.empty() && !rows.front().labels.empty();
  torch::Tensor labels;
  if (has_labels) labels = torch::full({B, T}, -100, torch::kInt64);
  torch::Tensor sample_lengths;
  if (options.per_sample_attention) sample_lengths = torch::zeros({B, S}, torch::kInt64);
  for (std::int64_t b = 0; b < B; ++b) {
    const auto& r = rows[b];
    const auto n = static_cast<std::int64_t>(r.ids.size());
    std::copy(r.ids.begin(), r.ids.end(), ids.data_ptr<std::int64_t>() + b * T);
    lengths.data_ptr<std::int64_t>()[b] = n;
    if (has_labels) {
      if (r.labels.size() != r.ids.size()) fail("row '{}': {} labels for {} ids", r.key, r.labels.size(), n);
      std::copy(r.labels.begin(), r.labels.end(), labels.data_ptr<std::int64_t>() + b * T);
    }
    if (options.per_sample_attention) {
      // Expanded length of each sample: its ids with every placeholder worth image_tokens.
      std::int64_t pos = 0;
      auto* out = sample_lengths.data_ptr<std::int64_t>() + b * S;
      const auto& parts = r.sample_text_lengths.empty() ? std::vector<std::int64_t>{n}
                                                        : r.sample_text_lengths;
      for (std::size_t s = 0; s < parts.size(); ++s) {
        std::int64_t expanded = 0;
        for (std::int64_t t = pos; t < pos + parts[s]; ++t)
          expanded += r.ids[t] == data::kImagePlaceholderId ? options.image_tokens : 1;
        out[s] = expanded;
        pos += parts[s];
      }
    }
  }
  // Images: decoded and preprocessed in parallel, written by index (order never depends on threads).
  const auto size = config.vision.image_size;
  auto pixels = torch::empty({images, 3, size, size}, torch::kFloat32);
  std::vector<std::pair<const Row*, std::size_t>> where;
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.images.size(); ++i) where.emplace_back(&r, i);
  auto decode = [&](std::size_t k) {
    const auto& [row, i] = where[k];
    const auto& bytes = row->images[i];
    try {
      pixels[static_cast<std::int64_t>(k)].copy_(model::preprocess_for_vlm(
          std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
          config));
    } catch (const Error& e) {
      fail("row '{}' image {}: {}", row->key, i, e.what());
    }
  };
  if (pool && where.size() > 1) {
    pool->parallel_for(where.size(), decode);
  } else {
    for (std::size_t k = 0; k < where.size(); ++k) decode(k);
  }
  mb.batch.input_ids = ids;
  mb.batch.lengths = lengths;
  mb.batch.labels = labels;
  mb.batch.pixels = pixels;
  mb.batch.sample_lengths = sample_lengths;
  mb.plan = model::plan_assembly(mb.batch, config, options.image_tokens, options.context, images);
  mb.layout = model::build_attention(
      mb.plan.sample_lengths.defined() ? model::AttentionSpec::per_sample(mb.plan.sample_lengths)
                                       : model::AttentionSpec::causal(mb.plan.lengths),
      mb.plan.gather.size(1), torch::kCPU, /*with_mask=*/options.per_sample_attention);
  mb.rows = B;
  mb.images = images;
  mb.label_tokens = mb.plan.loss_positions.size(0);
  mb.positions = mb.plan.lengths.sum().item<std::int64_t>();
  return mb;
}

Loader::Loader(std::unique_ptr<RowSource> source, const model::VlmConfig& config, LoaderOptions options)
    : source_(std::move(source)), config_(config), options_(options), pool_(std::max(1, options.threads)) {
  producer_ = std::thread([this] { produce(); });
}

Loader::~Loader() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (producer_.joinable()) producer_.join();
}

void Loader::produce() {
  try {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || static_cast<int>(queue_.size()) < options_.prefetch; });
        if (stop_) return;
      }
      std::vector<Row> rows;
      for (std::int64_t i = 0; i < options_.micro_batch; ++i) {
        for (int r = 0; r < options_.world; ++r) {
          auto row = source_->next();
          if (!row) fail("the training data has no rows");
          if (r == options_.rank) rows.push_back(std::move(*row));
        }
      }
      auto mb = collate(rows, config_, options_, &pool_);
      mb.after = source_->position();
      {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(mb));
      }
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    error_ = std::current_exception();
    cv_.notify_all();
  }
}

MicroBatch Loader::next(double* waited_s) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return !queue_.empty() || error_; });
  if (queue_.empty()) std::rethrow_exception(error_);
  auto mb = std::move(queue_.front());
  queue_.pop_front();
  lock.unlock();
  cv_.notify_all();
  if (waited_s) waited_s[0] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return mb;
}

}  // namespace oqvl::train
