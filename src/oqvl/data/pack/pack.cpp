#include "oqvl/data/pack/pack.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <fstream>
#include <optional>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/interrupt.h"
#include "oqvl/core/progress.h"
#include "oqvl/core/thread_pool.h"
#include "oqvl/data/pack/first_fit.h"
#include "oqvl/data/pack/interleaved.h"
#include "oqvl/data/pack/pack_outputs.h"
#include "oqvl/data/image/image.h"
#include "oqvl/data/image/image_encode.h"
#include "oqvl/data/image/image_resize.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "oqvl/data/io/tar_reader.h"
#include "oqvl/data/io/tar_writer.h"

namespace oqvl::data {
namespace fs = std::filesystem;

namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

}  // namespace

PackItem make_pack_item(const Tokenizer& tokenizer, std::string key, std::string_view caption,
                        const PackOptions& options) {
  PackItem item;
  item.key = std::move(key);
  // The reference: text = "<image>\n" + caption.replace("<image>", "<image-placeholder>"),
  // split on "<image>", chunk 0 is empty, so the ids are [-200] + tok("\n" + caption).
  std::string text = "\n";
  text.append(caption);
  replace_all(text, "<image>", "<image-placeholder>");
  std::vector<std::int32_t> tokens;
  tokens.reserve(64);
  tokenizer.encode_append(text, tokens);
  item.ids.reserve(tokens.size() + 3);
  item.ids.push_back(static_cast<std::uint32_t>(kBosId));
  item.ids.push_back(kPackedImagePlaceholder);
  for (std::int32_t t : tokens) item.ids.push_back(static_cast<std::uint32_t>(t));
  // The reference appends <|im_end|> only when the last id is not already <|im_end|>.
  if (item.ids.back() != static_cast<std::uint32_t>(kImEndId)) {
    item.ids.push_back(static_cast<std::uint32_t>(kImEndId));
  }
  std::uint64_t length = item.ids.size() + options.image_tokens - 1;
  if (length > options.context) {
    // Keep <s> IMG and as many caption tokens as fit, then <|im_end|>.
    std::size_t keep = item.ids.size() - (length - options.context);
    item.ids.resize(keep - 1);
    item.ids.push_back(static_cast<std::uint32_t>(kImEndId));
    item.truncated = true;
    length = options.context;
  }
  item.length = static_cast<std::uint32_t>(length);
  return item;
}

void PackStats::merge(const PackStats& o) {
  windows += o.windows;
  input_samples += o.input_samples;
  packed_samples += o.packed_samples;
  sequences += o.sequences;
  tokens += o.tokens;
  images += o.images;
  truncated += o.truncated;
  if (context == 0) context = o.context;
  for (const auto& [reason, n] : o.dropped) dropped[reason] += n;
  for (int b = 0; b < kFillBuckets; ++b) fill_histogram[b] += o.fill_histogram[b];
}

double PackStats::fill() const {
  if (sequences == 0 || context == 0) return 0.0;
  return static_cast<double>(tokens) / (static_cast<double>(sequences) * context);
}

nlohmann::json PackStats::to_json() const {
  nlohmann::json j;
  j["windows"] = windows;
  j["input_samples"] = input_samples;
  j["packed_samples"] = packed_samples;
  j["sequences"] = sequences;
  j["tokens"] = tokens;
  j["images"] = images;
  j["context"] = context;
  j["fill"] = fill();
  j["truncated"] = truncated;
  j["dropped"] = dropped;
  j["fill_histogram"] = fill_histogram;
  return j;
}

PackStats PackStats::from_json(const nlohmann::json& j) {
  PackStats s;
  s.windows = j.at("windows").get<std::uint64_t>();
  s.input_samples = j.at("input_samples").get<std::uint64_t>();
  s.packed_samples = j.at("packed_samples").get<std::uint64_t>();
  s.sequences = j.at("sequences").get<std::uint64_t>();
  s.tokens = j.at("tokens").get<std::uint64_t>();
  s.images = j.at("images").get<std::uint64_t>();
  s.context = j.at("context").get<std::uint32_t>();
  s.truncated = j.at("truncated").get<std::uint64_t>();
  s.dropped = j.at("dropped").get<std::map<std::string, std::uint64_t>>();
  s.fill_histogram = j.at("fill_histogram").get<std::vector<std::uint64_t>>();
  if (s.fill_histogram.size() != kFillBuckets) fail("fill_histogram must have {} buckets", kFillBuckets);
  return s;
}

Sample packed_sequence_sample(const std::string& key, const std::vector<const PackItem*>& items,
                              const PackOptions& options) {
  nlohmann::json meta;
  std::string ids;
  std::uint64_t total = 0;
  std::vector<std::uint32_t> lengths, text_lengths;
  std::vector<std::string> keys;
  std::vector<std::uint32_t> shards;
  std::vector<std::size_t> truncated;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const PackItem& item = *items[i];
    static_assert(std::endian::native == std::endian::little, "ids.u32 is little-endian");
    ids.append(reinterpret_cast<const char*>(item.ids.data()), item.ids.size() * 4);
    lengths.push_back(item.length);
    text_lengths.push_back(static_cast<std::uint32_t>(item.ids.size()));
    keys.push_back(item.key);
    shards.push_back(item.shard);
    if (item.truncated) truncated.push_back(i);
    total += item.length;
  }
  meta["keys"] = keys;
  meta["shards"] = shards;  // keys are unique per input shard only: index into the window's inputs
  meta["lengths"] = lengths;
  meta["text_lengths"] = text_lengths;
  meta["length"] = total;
  meta["context"] = options.context;
  meta["image_tokens"] = options.image_tokens;
  meta["image_placeholder_id"] = kPackedImagePlaceholder;
  meta["pad_id"] = kPadId;
  meta["truncated"] = truncated;
  const int version = pack_format_version(options);
  if (version == kPackedMultiImageFormatVersion) {
    std::vector<std::uint32_t> counts;
    for (const PackItem* item : items) counts.push_back(static_cast<std::uint32_t>(item->images.size()));
    meta["images"] = counts;
  }
  meta["version"] = version;
  Sample sample;
  sample.key = key;
  sample.add("json", meta.dump());
  sample.add("ids.u32", std::move(ids));
  // Images numbered over the whole sequence, in placeholder order.
  std::size_t n = 0;
  for (const PackItem* item : items) {
    for (const PackedImage& image : item->images)
      sample.add(fmt::format("{}.{}", n++, image.ext), image.bytes);
  }
  return sample;
}

std::vector<Sample> pack_window(const std::string& stem, const std::vector<PackItem>& items,
                                const PackOptions& options, PackStats& stats) {
  std::vector<std::uint32_t> lengths(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) lengths[i] = items[i].length;
  Bins bins = first_fit_decreasing(lengths, options.context);
  std::vector<Sample> out;
  out.reserve(bins.size());
  for (std::size_t b = 0; b < bins.size(); ++b) {
    std::vector<const PackItem*> members;
    std::uint64_t sum = 0;
    for (std::size_t i : bins[b]) {
      members.push_back(&items[i]);
      sum += items[i].length;
      stats.truncated += items[i].truncated ? 1 : 0;
      stats.images += items[i].images.size();
    }
    out.push_back(packed_sequence_sample(fmt::format("{}_{:06d}", stem, b), members, options));
    stats.sequences += 1;
    stats.packed_samples += members.size();
    stats.tokens += sum;
    int bucket = static_cast<int>(static_cast<double>(sum) / options.context * kFillBuckets);
    stats.fill_histogram[std::clamp(bucket, 0, kFillBuckets - 1)] += 1;
  }
  stats.context = options.context;
  return out;
}

int pack_format_version(const PackOptions& options) {
  return options.interleaved ? kPackedMultiImageFormatVersion : kPackedFormatVersion;
}

std::optional<PackedImage> store_pack_image(std::string bytes, std::string ext, const PackOptions& options,
                                            std::string& dropped) {
  ImageInfo info;
  Image pixels;
  bool decode = options.decode_check || options.store == PackImageStore::kResized;
  try {
    if (decode) {
      pixels = decode_image(as_bytes(bytes));
      info.width = pixels.width;
      info.height = pixels.height;
    } else {
      info = probe_image(as_bytes(bytes));
    }
  } catch (const Error&) {
    dropped = "undecodable image";
    return std::nullopt;
  }
  // The reference drops images with a side of 1 px.
  if (info.width == 1 || info.height == 1) {
    dropped = "image side of 1 px";
    return std::nullopt;
  }
  if (options.store == PackImageStore::kResized) {
    int side = options.resized_side;
    // The paper's packer: LANCZOS to side x side when the short side is larger; the trainer
    // then resizes with bicubic to side x side, done here for the smaller ones.
    if (std::min(pixels.width, pixels.height) > side) {
      pixels = resize(pixels, side, side, ResampleFilter::kLanczos);
    } else if (pixels.width != side || pixels.height != side) {
      pixels = resize(pixels, side, side, ResampleFilter::kBicubic);
    }
    return PackedImage{"jpg", encode_jpeg(pixels.rgb, side, side, 3, options.jpeg_quality)};
  }
  if (ext.empty()) {
    // Embedded images (base64 in interleaved json) have no extension: name the format.
    const ImageFormat format = info.format != ImageFormat::kUnknown ? info.format
                                                                    : sniff_image_format(as_bytes(bytes));
    ext = format == ImageFormat::kJpeg ? "jpg" : std::string(format_name(format));
  }
  return PackedImage{std::move(ext), std::move(bytes)};
}

namespace {

// A sample turned into a pack item, or the reason it is dropped.
struct Prepared {
  std::optional<PackItem> item;
  std::string dropped;
};

Prepared prepare_sample(Sample& sample, const Tokenizer& tokenizer, const PackOptions& options) {
  Prepared out;
  if (options.interleaved) {
    InterleavedResult r = make_interleaved_item(sample, tokenizer, options);
    out.item = std::move(r.item);
    out.dropped = std::move(r.dropped);
    return out;
  }
  Field* image = const_cast<Field*>(sample.find(kImageExtensions));
  const Field* caption = sample.find(kTextExtensions);
  if (image == nullptr) {
    out.dropped = "no image";
    return out;
  }
  if (caption == nullptr) {
    out.dropped = "no caption";
    return out;
  }
  auto stored = store_pack_image(std::move(image->bytes), image->ext, options, out.dropped);
  if (!stored) return out;
  PackItem item = make_pack_item(tokenizer, sample.key, caption->bytes, options);
  item.images.push_back(std::move(*stored));
  out.item = std::move(item);
  return out;
}

// Reads a window's samples into pack items (in input order), dropping and counting samples
// that cannot be packed. With a pool, the samples are prepared in parallel (used when there are
// fewer windows than threads); the result is the same either way.
std::vector<PackItem> read_window(const std::vector<std::string>& shards, const Tokenizer& tokenizer,
                                  const PackOptions& options, PackStats& stats, Progress& progress,
                                  ThreadPool* pool) {
  SkipCounter skipped;
  TarReaderOptions reader_options;
  reader_options.on_bad = options.skip_bad_shards ? OnBadInput::kSkip : OnBadInput::kFail;
  reader_options.skipped = &skipped;
  std::vector<Sample> samples;
  std::vector<std::uint32_t> shard_of;
  for (std::size_t s = 0; s < shards.size(); ++s) {
    TarReader reader(shards[s], reader_options);
    while (auto sample = reader.next()) {
      throw_if_interrupted("pack");
      samples.push_back(std::move(*sample));
      shard_of.push_back(static_cast<std::uint32_t>(s));
    }
  }
  std::vector<Prepared> prepared(samples.size());
  auto prepare = [&](std::size_t i) {
    throw_if_interrupted("pack");
    prepared[i] = prepare_sample(samples[i], tokenizer, options);
    if (prepared[i].item) prepared[i].item->shard = shard_of[i];
    samples[i] = Sample{};  // its image now lives in the item
    progress.add();
  };
  if (pool != nullptr) {
    pool->parallel_for(samples.size(), prepare);
  } else {
    for (std::size_t i = 0; i < samples.size(); ++i) prepare(i);
  }
  std::vector<PackItem> items;
  items.reserve(prepared.size());
  stats.input_samples += prepared.size();
  for (Prepared& p : prepared) {
    if (p.item) {
      items.push_back(std::move(*p.item));
    } else {
      stats.dropped[p.dropped] += 1;
    }
  }
  for (const auto& [reason, n] : skipped.by_reason()) stats.dropped[reason] += n;
  return items;
}

}  // namespace

PackRunResult pack_shards(const std::vector<std::string>& all_shards, const fs::path& out,
                          const Tokenizer& tokenizer, const PackOptions& options) {
  if (options.window < 1) fail("--window must be at least 1 (got {})", options.window);
  if (options.image_tokens < 1) fail("--image-tokens must be at least 1");
  if (static_cast<std::uint64_t>(options.image_tokens) + 2 > options.context) {
    fail("--context {} cannot hold one image ({} tokens) with <s> and <|im_end|>", options.context,
         options.image_tokens);
  }
  // Names over every job's inputs: jobs share the folder, so their names must not collide.
  std::vector<std::string> all_stems = pack_output_stems(all_shards);
  std::map<std::string, std::string> stem_of;
  for (std::size_t i = 0; i < all_shards.size(); ++i) stem_of[all_shards[i]] = all_stems[i];
  std::vector<std::string> shards = select_job_shards(all_shards, options.job);
  ensure_writable_dir(out);
  std::vector<std::vector<std::string>> windows;
  std::vector<std::string> stems;
  for (std::size_t i = 0; i < shards.size(); i += options.window) {
    windows.emplace_back(shards.begin() + i, shards.begin() + std::min(shards.size(), i + options.window));
    stems.push_back(stem_of.at(windows.back().front()));
  }

  // Refuse to mix before writing anything: the folder's record, then each complete window.
  const nlohmann::json fingerprint = pack_fingerprint(options);
  claim_pack_folder(out, fingerprint, /*create=*/false);
  std::vector<std::optional<PackStats>> completed(windows.size());
  for (std::size_t w = 0; w < windows.size(); ++w) {
    completed[w] = completed_pack_window(out, stems[w], windows[w], fingerprint);
  }
  claim_pack_folder(out, fingerprint, /*create=*/true);

  std::vector<PackStats> window_stats(windows.size());
  std::atomic<std::uint64_t> skipped_windows{0};
  ThreadPool pool(resolve_thread_count(options.threads));
  Progress progress("pack", 0, "samples");
  // Windows in parallel when there are enough of them, else one after the other with their
  // samples prepared in parallel (same bytes out either way).
  bool window_parallel = windows.size() >= static_cast<std::size_t>(pool.size());
  auto pack_one = [&](std::size_t w, ThreadPool* sample_pool) {
    const std::string& stem = stems[w];
    fs::path stats_path = out / (stem + ".stats.json");
    if (completed[w]) {
      window_stats[w] = *completed[w];
      skipped_windows += 1;
      return;
    }
    PackStats stats;
    stats.windows = 1;
    std::vector<PackItem> items = read_window(windows[w], tokenizer, options, stats, progress, sample_pool);
    std::vector<Sample> packed = pack_window(stem, items, options, stats);
    items.clear();
    ShardWriterOptions writer_options;
    writer_options.max_samples = 0;
    writer_options.max_bytes = 0;
    // ShardWriter numbers its shards: write one numbered shard under a hidden name ('%' escaped
    // for its printf-style pattern), then rename it into place (both steps are atomic).
    std::string hidden = (out / ("." + stem + ".part")).string();
    replace_all(hidden, "%", "%%");
    ShardWriterResult written;
    try {
      ShardWriter writer(hidden + "%d", writer_options);
      for (const Sample& s : packed) {
        throw_if_interrupted("pack");
        writer.write(s);
      }
      written = writer.close();
    } catch (const Error& e) {
      // A full disk names the hidden part file: say which shard it was to become.
      fail("{} (writing {})", e.what(), (out / (stem + ".tar")).string());
    }
    if (written.shards.empty()) {
      write_file_atomic(out / (stem + ".tar"), std::string(1024, '\0'));  // an empty tar
    } else {
      fs::rename(written.shards.at(0).path, out / (stem + ".tar"));
    }
    nlohmann::json j = stats.to_json();
    j["inputs"] = windows[w];
    j["input_bytes"] = pack_input_bytes(windows[w]);
    j["options"] = fingerprint;
    j["output"] = stem + ".tar";
    write_file_atomic(stats_path, j.dump(2) + "\n");
    window_stats[w] = stats;
  };
  if (window_parallel) {
    pool.parallel_for(windows.size(), [&](std::size_t w) { pack_one(w, nullptr); });
  } else {
    for (std::size_t w = 0; w < windows.size(); ++w) pack_one(w, &pool);
  }
  progress.finish();
  double seconds = progress.elapsed_seconds();

  PackRunResult result;
  for (const PackStats& s : window_stats) result.stats.merge(s);
  result.stats.context = options.context;
  result.windows_skipped = skipped_windows;
  nlohmann::json summary = result.stats.to_json();
  summary["job"] = job_tag(options.job);
  summary["input_shards"] = shards.size();
  summary["windows_resumed"] = result.windows_skipped;
  summary["image_tokens"] = options.image_tokens;
  summary["window"] = options.window;
  summary["store"] = options.store == PackImageStore::kResized ? "resized" : "original";
  summary["options"] = fingerprint;
  summary["seconds"] = seconds;  // packing only (after the tokenizer is loaded)
  result.summary_path = job_summary_path(out, "pack", options.job);
  write_file_atomic(result.summary_path, summary.dump(2) + "\n");
  return result;
}

}  // namespace oqvl::data
