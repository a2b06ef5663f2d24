#include "oqvl/data/download/download.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/interrupt.h"
#include "oqvl/core/hash.h"
#include "oqvl/core/json.h"
#include "oqvl/core/log.h"
#include "oqvl/core/progress.h"
#include "oqvl/core/sha256.h"
#include "oqvl/core/thread_pool.h"
#include "oqvl/data/io/parquet_table.h"
#include "oqvl/data/io/tar_format.h"
#include "oqvl/data/io/tar_writer.h"

namespace oqvl::data {
namespace fs = std::filesystem;
namespace {

int digits(std::uint64_t n) {
  int d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

// The summary's group of an error message: decoding errors without the decoder's details (byte
// counts, libjpeg's words), so one kind of failure is one line.
std::string error_kind(const std::string& error) {
  if (error.starts_with("image decoding error")) return "image decoding error";
  return error;
}

struct RowResult {
  std::string status;  // success | failed_to_download | failed_to_resize
  std::string error;
  std::string sha256;
  ResizedImage image;
};

struct ShardState {
  std::uint64_t index = 0;
  std::uint64_t first_row = 0;
  std::uint64_t rows = 0;
  std::vector<RowResult> results;
  std::atomic<std::uint64_t> remaining{0};
  std::chrono::system_clock::time_point start;
};

struct WorkItem {
  ShardState* shard;
  std::uint64_t row;  // within the shard
  HttpResult result;
};

// A queue the fetch thread fills and the workers drain.
class WorkQueue {
 public:
  void push(WorkItem item) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
      size_.store(items_.size());
    }
    cv_.notify_one();
  }
  std::size_t size() const { return size_.load(); }
  bool pop(WorkItem& item) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return false;
    item = std::move(items_.front());
    items_.pop_front();
    size_.store(items_.size());
    return true;
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<WorkItem> items_;
  std::atomic<std::size_t> size_{0};
  bool closed_ = false;
};

double seconds_since_epoch(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

class Downloader {
 public:
  Downloader(const DownloadOptions& options, std::vector<UrlRow> rows)
      : o_(options), rows_(std::move(rows)), out_(options.out) {
    std::uint64_t shards = (rows_.size() + o_.shard_size - 1) / o_.shard_size;
    shard_width_ = std::max(5, digits(shards ? shards - 1 : 0));
    row_width_ = digits(o_.shard_size - 1);
  }

  fs::path shard_path(std::uint64_t s, std::string_view suffix) const {
    return out_ / fmt::format("{:0{}d}{}", s, shard_width_, suffix);
  }

  DownloadReport run() {
    auto t0 = std::chrono::steady_clock::now();
    report_.rows = rows_.size();
    std::uint64_t total_shards = (rows_.size() + o_.shard_size - 1) / o_.shard_size;
    std::uint64_t pending_rows = 0;
    for (std::uint64_t s = 0; s < total_shards; ++s) {
      if (static_cast<int>(s % o_.job.count) != o_.job.index) continue;
      ++report_.shards;
      if (fs::exists(shard_path(s, "_stats.json"))) {
        ++report_.shards_complete;
        continue;
      }
      auto st = std::make_unique<ShardState>();
      st->index = s;
      st->first_row = s * o_.shard_size;
      st->rows = std::min<std::uint64_t>(o_.shard_size, rows_.size() - st->first_row);
      pending_rows += st->rows;
      pending_.push_back(std::move(st));
    }
    if (report_.shards_complete) {
      log::info("download: {} of {} shards already complete, skipped", report_.shards_complete,
                report_.shards);
    }
    Progress progress("download", pending_rows, "images");
    progress_ = &progress;
    progress.set_detail([this] {
      std::uint64_t done = done_rows_.load(), ok = success_rows_.load();
      return fmt::format("success {:.1f}%",
                         done ? 100.0 * static_cast<double>(ok) / static_cast<double>(done) : 0.0);
    });

    // Shards open at once: enough rows to keep every connection busy across shard ends, at
    // least two (the next shard starts while the last rows of one are still in flight).
    std::uint64_t max_open = std::max<std::uint64_t>(
        2, (2 * o_.http.connections + o_.shard_size - 1) / o_.shard_size);
    int threads = resolve_thread_count(o_.threads);
    const std::size_t max_queued = static_cast<std::size_t>(o_.http.connections) +
                                   4 * static_cast<std::size_t>(threads);
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i) workers.emplace_back([this] { work(); });
    std::size_t cursor = 0;      // shard being admitted
    std::uint64_t next_row = 0;  // row within it
    try {
      fetch_urls(
          o_.http,
          [&](HttpRequest& req) {
            if (failed_.load()) return NextRequest::kDone;  // a worker's exception ends the run
            // SIGINT/SIGTERM: no new transfers; shards that complete are written, the rest not.
            if (interrupted()) return NextRequest::kDone;
            if (cursor == pending_.size()) return NextRequest::kDone;
            if (cursor >= finished_shards_.load() + max_open) return NextRequest::kWait;
            // Downloaded bodies waiting for a worker: when decoding is the bottleneck, stop
            // starting transfers instead of piling bodies up in memory.
            if (queue_.size() >= max_queued) return NextRequest::kWait;
            ShardState& st = *pending_[cursor];
            if (next_row == 0) {
              st.start = std::chrono::system_clock::now();
              st.results.resize(st.rows);
              st.remaining = st.rows;
            }
            req.id = (static_cast<std::uint64_t>(cursor) << 32) | next_row;
            req.url = rows_[st.first_row + next_row].url;
            if (++next_row == st.rows) {
              ++cursor;
              next_row = 0;
            }
            return NextRequest::kReady;
          },
          [&](HttpRequest&& req, HttpResult&& result) {
            ShardState* st = pending_[req.id >> 32].get();
            queue_.push(WorkItem{st, req.id & 0xffffffffu, std::move(result)});
          });
    } catch (...) {
      queue_.close();
      for (auto& w : workers) w.join();
      throw;
    }
    queue_.close();
    for (auto& w : workers) w.join();
    if (error_) std::rethrow_exception(error_);
    throw_if_interrupted("download");
    progress.finish();
    report_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return report_;
  }

 private:
  void work() {
    WorkItem item;
    while (queue_.pop(item)) {
      if (failed_.load()) continue;  // drain after an error
      try {
        process(item);
      } catch (...) {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = std::current_exception();
        failed_ = true;
      }
    }
  }

  void process(WorkItem& item) {
    ShardState& st = *item.shard;
    RowResult& r = st.results[item.row];
    if (!item.result.ok) {
      r.status = "failed_to_download";
      r.error = std::move(item.result.error);
    } else {
      r.sha256 = sha256_hex(item.result.body);
      r.image = resize_downloaded(item.result.body, o_.resize);
      if (r.image.ok) {
        r.status = "success";
        ++success_rows_;
      } else {
        r.status = "failed_to_resize";
        r.error = r.image.error;
      }
    }
    ++done_rows_;
    progress_->add();
    if (--st.remaining == 0) write_shard(st);
  }

  nlohmann::json row_json(const ShardState& st, std::uint64_t i, const std::string& key) const {
    const UrlRow& row = rows_[st.first_row + i];
    const RowResult& r = st.results[i];
    nlohmann::json j;
    j["key"] = key;
    j["url"] = row.url;
    j["caption"] = row.has_caption ? nlohmann::json(row.caption) : nlohmann::json();
    j["status"] = r.status;
    j["error_message"] = r.error.empty() ? nlohmann::json() : nlohmann::json(r.error);
    auto size = [&](int v) { return r.image.ok ? nlohmann::json(v) : nlohmann::json(); };
    j["width"] = size(r.image.width);
    j["height"] = size(r.image.height);
    j["original_width"] = r.image.original_width ? nlohmann::json(r.image.original_width) : nlohmann::json();
    j["original_height"] = r.image.original_height ? nlohmann::json(r.image.original_height)
                                                   : nlohmann::json();
    j["sha256"] = r.sha256.empty() ? nlohmann::json() : nlohmann::json(r.sha256);
    for (std::size_t c = 0; c < o_.input.extra_cols.size(); ++c) j[o_.input.extra_cols[c]] = row.extra[c];
    return j;
  }

  void write_shard(ShardState& st) {
    std::map<std::string, std::uint64_t> by_status, by_error;
    std::string table;
    std::vector<nlohmann::json> metas;
    std::uint64_t successes = 0, image_bytes = 0;
    {
      ShardWriterOptions wo;
      wo.max_samples = 0;
      wo.max_bytes = 0;
      wo.first_index = st.index;
      ShardWriter writer((out_ / fmt::format("{{:0{}d}}.tar", shard_width_)).string(), wo);
      for (std::uint64_t i = 0; i < st.rows; ++i) {
        const RowResult& r = st.results[i];
        std::string key = fmt::format("{:0{}d}{:0{}d}", st.index, shard_width_, i, row_width_);
        nlohmann::json j = row_json(st, i, key);
        table += j.dump() + "\n";
        if (parquet_available()) metas.push_back(j);
        ++by_status[r.status];
        ++by_error[r.error.empty() ? "success" : error_kind(r.error)];
        if (r.status != "success") continue;
        ++successes;
        image_bytes += r.image.bytes.size();
        Sample sample;
        sample.key = key;
        sample.add(r.image.ext, r.image.bytes);
        const UrlRow& row = rows_[st.first_row + i];
        if (row.has_caption) sample.add("txt", row.caption);
        sample.add("json", j.dump());
        writer.write(sample);
      }
      writer.close();
      // A shard whose every row failed is still a (valid, empty) tar, as img2dataset writes it.
      if (successes == 0) write_file_atomic(shard_path(st.index, ".tar"), std::string(2 * tar::kBlock, '\0'));
    }
    write_file_atomic(shard_path(st.index, ".jsonl"), table);
    if (parquet_available()) {
      std::vector<std::string> names = {
          "key",   "url",    "caption",        "status",          "error_message",
          "width", "height", "original_width", "original_height", "sha256"};
      names.insert(names.end(), o_.input.extra_cols.begin(), o_.input.extra_cols.end());
      write_parquet(shard_path(st.index, ".parquet"), parquet_columns_from_json(metas, names));
    }
    auto end = std::chrono::system_clock::now();
    nlohmann::json stats;
    stats["count"] = st.rows;
    stats["successes"] = successes;
    stats["failed_to_download"] = by_status["failed_to_download"];
    stats["failed_to_resize"] = by_status["failed_to_resize"];
    stats["duration"] = std::chrono::duration<double>(end - st.start).count();
    stats["start_time"] = seconds_since_epoch(st.start);
    stats["end_time"] = seconds_since_epoch(end);
    stats["status_dict"] = by_error;
    write_file_atomic(shard_path(st.index, "_stats.json"), stats.dump(2) + "\n");

    std::lock_guard lock(mutex_);
    ++report_.shards_written;
    report_.rows_done += st.rows;
    report_.image_bytes += image_bytes;
    for (auto& [k, n] : by_status) report_.by_status[k] += n;
    for (auto& [k, n] : by_error) {
      if (k != "success") report_.by_error[k] += n;
    }
    st.results.clear();
    st.results.shrink_to_fit();
    ++finished_shards_;
  }

  const DownloadOptions& o_;
  std::vector<UrlRow> rows_;
  fs::path out_;
  int shard_width_ = 5;
  int row_width_ = 4;
  std::vector<std::unique_ptr<ShardState>> pending_;
  WorkQueue queue_;
  std::mutex mutex_;
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
  std::atomic<std::uint64_t> finished_shards_{0};
  std::atomic<std::uint64_t> done_rows_{0}, success_rows_{0};
  Progress* progress_ = nullptr;
  DownloadReport report_;
};

// What shapes the output: a rerun must match it (or it would mix two downloads in one folder).
nlohmann::json output_options(const DownloadOptions& o, const std::vector<UrlRow>& rows) {
  std::string urls;
  for (const auto& r : rows) {
    urls += r.url;
    urls += '\n';
  }
  const ResizeOptions& z = o.resize;
  return {{"rows", rows.size()},
          {"urls_fnv1a64", fmt::format("{:016x}", fnv1a64(urls))},
          {"url_col", o.input.url_col},
          {"caption_col", o.input.caption_col},
          {"save_additional_columns", o.input.extra_cols},
          {"shard_size", o.shard_size},
          {"resize_mode", std::string(resize_mode_name(z.mode))},
          {"image_size", z.image_size},
          {"resize_only_if_bigger", z.resize_only_if_bigger},
          {"resize_filter", static_cast<int>(z.filter)},
          {"scaled_decode", z.scaled_decode},
          {"min_image_size", z.min_image_size},
          {"max_aspect_ratio",
           std::isinf(z.max_aspect_ratio) ? nlohmann::json("inf") : nlohmann::json(z.max_aspect_ratio)},
          {"encode_format", z.encode_format},
          {"encode_quality", z.encode_quality}};
}

}  // namespace

nlohmann::json DownloadReport::to_json() const {
  return {{"rows", rows},
          {"shards", shards},
          {"shards_complete", shards_complete},
          {"shards_written", shards_written},
          {"rows_done", rows_done},
          {"by_status", by_status},
          {"by_error", by_error},
          {"image_bytes", image_bytes},
          {"seconds", seconds}};
}

DownloadReport run_download(const std::vector<std::string>& inputs, const DownloadOptions& options) {
  if (!http_fetch_available()) fetch_urls(options.http, nullptr, nullptr);  // says why
  if (inputs.empty()) fail("no URL list given");
  if (options.out.empty()) fail("--out is required");
  if (options.shard_size < 1 || options.shard_size > 0xffffffffu) fail("--shard-size must be 1..4294967295");
  if (options.job.count < 1 || options.job.index < 0 || options.job.index >= options.job.count) {
    fail("--shard-index {} is not in 0..{}", options.job.index, options.job.count - 1);
  }
  validate(options.resize);
  validate(options.http);
  std::vector<UrlRow> rows;
  for (const auto& path : inputs) {
    std::vector<UrlRow> part = read_url_list(path, options.input);
    rows.insert(rows.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  ensure_writable_dir(options.out);
  nlohmann::json want = output_options(options, rows);
  fs::path marker = fs::path(options.out) / "download.json";
  if (!write_file_if_absent(marker, want.dump(2) + "\n")) {
    nlohmann::json have = read_json_file(marker, "download options");
    if (have != want) {
      std::vector<std::string> diff;
      for (auto& [k, v] : want.items()) {
        if (!have.contains(k) || have[k] != v) diff.push_back(k);
      }
      fail("{} holds a download made with other options or inputs ({} differ): use another --out",
           options.out, fmt::join(diff, ", "));
    }
  }
  Downloader d(options, std::move(rows));
  return d.run();
}

}  // namespace oqvl::data
