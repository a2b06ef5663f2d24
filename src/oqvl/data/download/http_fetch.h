// Concurrent HTTP(S) GETs with libcurl's multi interface: one thread drives up to `connections`
// transfers at once (connections and DNS answers are cached and reused by the multi handle),
// with a total timeout per attempt, bounded redirects, a maximum body size, X-Robots-Tag
// opt-outs checked as soon as the headers arrive, and retries with exponential backoff for
// failures that may pass (timeouts, connection errors, truncated bodies, HTTP 429 and 5xx).
//
// libcurl is optional at build time (cmake/Dependencies.cmake): without it http_fetch_available()
// is false and fetch_urls() throws oqvl::Error saying so.
//
// Threads: fetch_urls() runs on the calling thread and calls `next` and `done` from it only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace oqvl::data {

struct HttpOptions {
  int connections = 64;          // transfers in flight
  double timeout_s = 10;         // per attempt, whole transfer (connect + headers + body)
  int retries = 0;               // extra attempts for failures that may pass
  double retry_backoff_s = 1.0;  // wait before retry k: backoff * 2^(k-1)
  int max_redirects = 5;
  std::int64_t max_body_bytes = 32ll << 20;
  std::string user_agent;  // empty: "oqvl/<version> (img2dataset-compatible downloader)"
  std::vector<std::string> disallowed_directives;  // X-Robots-Tag opt-outs (lower case); empty: none
};

struct HttpRequest {
  std::uint64_t id = 0;
  std::string url;
};

struct HttpResult {
  bool ok = false;  // a 2xx response with its whole body
  long status = 0;  // last HTTP status (0 when none arrived)
  std::string body;
  // Why not ok, one short stable phrase (summaries group by it): "http 404", "timeout",
  // "truncated body", "body too large", "too many redirects", "opted out (X-Robots-Tag)",
  // "connection failed", "dns failure", "bad url", "empty url", or "curl: <libcurl's words>".
  std::string error;
  int attempts = 0;
};

// What `next` says: a request was filled in, none is ready now (ask again soon), or the input
// is exhausted.
enum class NextRequest { kReady, kWait, kDone };

bool http_fetch_available();

// Checks the options (connections >= 1, timeout > 0, retries >= 0, ...); oqvl::Error naming the
// flag. fetch_urls() checks them too; callers check first so nothing is written for bad flags.
void validate(const HttpOptions& options);

// Fetches until `next` says kDone and every transfer has finished; `done` gets each request's
// final result (after its retries) exactly once. An exception from `next` or `done` stops the
// transfers and propagates.
void fetch_urls(const HttpOptions& options, const std::function<NextRequest(HttpRequest&)>& next,
                const std::function<void(HttpRequest&&, HttpResult&&)>& done);

}  // namespace oqvl::data
