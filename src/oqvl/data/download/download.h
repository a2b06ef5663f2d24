// `oqvl data download`: URL lists to WebDataset shards, as img2dataset makes them for the
// paper's data (CC3M/CC12M/SBU, DataComp, LAION). docs/download.md.
//
// The rows of all inputs, in order, are cut into shards of shard_size rows; shard s is written
// as OUT/{s:05d}.tar (successful samples only: `{key}.jpg`, `{key}.txt` when there are captions,
// `{key}.json`), OUT/{s:05d}.jsonl (the json of every row, failed ones included: the status
// table) and, last, OUT/{s:05d}_stats.json (counts by status and error). Keys are the shard
// number and the row within it, img2dataset's scheme ("000010003": shard 1, row 3 at the
// default width). Every file is written atomically and the stats file is what marks a shard
// complete: a rerun skips complete shards and redoes the others, so an interrupted run never
// leaves a shard that looks done. OUT/download.json holds the options that shape the output; a
// rerun with other options is refused rather than mixing two downloads.
//
// Threads: one thread drives the HTTP transfers (http_fetch.h), `threads` workers decode, check,
// resize, re-encode and write shards. Output bytes do not depend on thread or connection counts.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oqvl/data/download/http_fetch.h"
#include "oqvl/data/download/resize_mode.h"
#include "oqvl/data/download/url_list.h"
#include "oqvl/data/io/shard_job.h"

namespace oqvl::data {

struct DownloadOptions {
  UrlListOptions input;
  std::string out;
  std::uint64_t shard_size = 10000;
  ShardJob job;  // shard s belongs to job s % count
  HttpOptions http;
  ResizeOptions resize;
  int threads = 0;  // 0 = all cores
};

struct DownloadReport {
  std::uint64_t rows = 0;             // in the inputs
  std::uint64_t shards = 0;           // this job's
  std::uint64_t shards_complete = 0;  // already complete before this run (skipped)
  std::uint64_t shards_written = 0;
  std::uint64_t rows_done = 0;                     // rows fetched in this run
  std::map<std::string, std::uint64_t> by_status;  // success, failed_to_download, failed_to_resize
  std::map<std::string, std::uint64_t> by_error;   // error message -> rows
  std::uint64_t image_bytes = 0;                   // written image bytes
  double seconds = 0;

  nlohmann::json to_json() const;
};

// Runs a download; throws oqvl::Error for bad input or options (before any transfer), an
// unwritable OUT, or OUT holding a download made with other options.
DownloadReport run_download(const std::vector<std::string>& inputs, const DownloadOptions& options);

}  // namespace oqvl::data
