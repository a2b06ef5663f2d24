// `oqvl data download`: URL lists (txt, csv, tsv, jsonl, optionally gzipped) to WebDataset
// shards with img2dataset's layout, resize modes and opt-out rules (docs/download.md).
#include <fmt/format.h>

#include <cmath>

#include "oqvl/commands.h"
#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/strings.h"
#include "oqvl/data/download/download.h"
#include "oqvl/data/download/robots_tag.h"
#include "oqvl/data/io/shard_job.h"
#include "oqvl/core/interrupt.h"

namespace oqvl::cli {
namespace {

void print_report(const data::DownloadReport& r) {
  fmt::print("input: {} rows in {} shards for this job", r.rows, r.shards);
  if (r.shards_complete) fmt::print(" ({} already complete, skipped)", r.shards_complete);
  fmt::print("\n");
  fmt::print("written: {} shards, {} rows", r.shards_written, r.rows_done);
  if (r.seconds > 0 && r.rows_done) {
    fmt::print(" in {:.2f} s ({:.1f} rows/s)", r.seconds, static_cast<double>(r.rows_done) / r.seconds);
  }
  fmt::print("\n");
  for (const auto& [status, n] : r.by_status) {
    double pct = r.rows_done ? 100.0 * static_cast<double>(n) / static_cast<double>(r.rows_done) : 0.0;
    fmt::print("  {}: {} ({:.1f}%)\n", status, n, pct);
  }
  for (const auto& [error, n] : r.by_error) fmt::print("    {}: {}\n", error, n);
}

}  // namespace

void register_data_download(CLI::App& data) {
  struct Args {
    std::vector<std::string> inputs;
    data::DownloadOptions options;
    std::string resize_mode = "border";
    std::string filter = "bicubic";
    std::vector<std::string> disallowed;
    bool allow_opted_out = false;
    bool json = false;
    bool exact_decode = false;
    CLI::Option* caption_col = nullptr;
  };
  auto args = std::make_shared<Args>();
  auto& o = args->options;
  auto* cmd = data.add_subcommand("download",
                                  "Download URL lists into WebDataset shards (img2dataset's layout)");
  cmd->add_option("inputs", args->inputs, "URL lists: .txt, .csv, .tsv, .jsonl (optionally .gz), .parquet")
      ->required();
  cmd->add_option("--out", o.out, "Output folder: {00000..}.tar, .jsonl/.parquet status tables, _stats.json")
      ->required();
  cmd->add_option("--input-format", o.input.format, "auto|txt|csv|tsv|jsonl|parquet")->capture_default_str();
  cmd->add_option("--url-col", o.input.url_col, "URL column")->capture_default_str();
  args->caption_col = cmd->add_option("--caption-col", o.input.caption_col,
                                      "Caption column (default 'caption' when the table has one)");
  cmd->add_option("--save-additional-columns", o.input.extra_cols,
                  "Columns copied into each sample's json (comma-separated)")
      ->delimiter(',');
  cmd->add_option("--shard-size", o.shard_size, "Rows per shard")->capture_default_str();
  cmd->add_option("--shard-index", o.job.index, "This job's index (with --num-shards)")
      ->capture_default_str();
  cmd->add_option("--num-shards", o.job.count, "Jobs sharing the output shards (shard s goes to job s % N)")
      ->capture_default_str();
  cmd->add_option("--resize-mode", args->resize_mode, "no|border|keep_ratio|keep_ratio_largest|center_crop")
      ->capture_default_str();
  cmd->add_option("--image-size", o.resize.image_size, "Target size in pixels")->capture_default_str();
  cmd->add_flag("--resize-only-if-bigger", o.resize.resize_only_if_bigger,
                "Leave images already within --image-size as they are");
  cmd->add_option("--resize-filter", args->filter, "bilinear|bicubic|lanczos (Pillow's antialiased filters)")
      ->capture_default_str();
  cmd->add_flag("--exact-decode", args->exact_decode,
                "Decode JPEGs at full size before resizing (default: DCT-domain downscaled decode to "
                "no less than the target, faster for large photos)");
  cmd->add_option("--min-image-size", o.resize.min_image_size,
                  "Smallest side below this fails (failed_to_resize)")
      ->capture_default_str();
  cmd->add_option("--max-aspect-ratio", o.resize.max_aspect_ratio, "Larger/smaller side above this fails");
  cmd->add_option("--encode-format", o.resize.encode_format, "jpg|png")->capture_default_str();
  cmd->add_option("--encode-quality", o.resize.encode_quality, "JPEG quality")->capture_default_str();
  cmd->add_option("--threads", o.threads, "Decode/resize/encode threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--connections", o.http.connections, "HTTP transfers in flight")->capture_default_str();
  cmd->add_option("--timeout", o.http.timeout_s, "Seconds per attempt (whole transfer)")
      ->capture_default_str();
  cmd->add_option("--retries", o.http.retries, "Extra attempts after timeouts, connection errors, 429/5xx")
      ->capture_default_str();
  cmd->add_option("--retry-backoff", o.http.retry_backoff_s, "Seconds before the first retry (doubling)")
      ->capture_default_str();
  cmd->add_option("--max-redirects", o.http.max_redirects, "Redirects followed")->capture_default_str();
  cmd->add_option("--max-body-bytes", o.http.max_body_bytes, "Largest response body")->capture_default_str();
  cmd->add_option("--user-agent", o.http.user_agent, "User-Agent header");
  cmd->add_option("--disallowed-header-directives", args->disallowed,
                  "X-Robots-Tag directives that skip an image (comma-separated; default "
                  "noai,noimageai,noindex,noimageindex)")
      ->delimiter(',');
  cmd->add_flag("--ignore-opt-outs", args->allow_opted_out, "Do not honour X-Robots-Tag opt-outs");
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->callback([args] {
    catch_interrupts();  // stop at a safe point on SIGINT/SIGTERM (core/interrupt.h)
    data::DownloadOptions options = args->options;
    options.input.caption_col_required = args->caption_col->count() > 0;
    options.resize.mode = data::parse_resize_mode(args->resize_mode);
    options.resize.scaled_decode = !args->exact_decode;
    options.resize.filter = data::parse_resample_filter(args->filter);
    if (args->allow_opted_out) {
      if (!args->disallowed.empty())
        fail("--ignore-opt-outs and --disallowed-header-directives contradict each other");
    } else if (args->disallowed.empty()) {
      options.http.disallowed_directives = data::default_disallowed_directives();
    } else {
      for (const auto& d : args->disallowed)
        options.http.disallowed_directives.push_back(ascii_lower(trim(d)));
    }
    data::DownloadReport report = data::run_download(args->inputs, options);
    nlohmann::json j = report.to_json();
    write_file_atomic(data::job_summary_path(options.out, "download", options.job), j.dump(2) + "\n");
    if (args->json) {
      fmt::print("{}\n", j.dump(2));
    } else {
      print_report(report);
    }
  });
}

}  // namespace oqvl::cli
