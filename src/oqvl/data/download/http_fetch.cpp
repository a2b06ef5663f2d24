#include "oqvl/data/download/http_fetch.h"

#include "oqvl/core/error.h"

#ifdef OQVL_HAVE_CURL
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <queue>
#include <unordered_map>

#include "oqvl/core/strings.h"
#include "oqvl/data/download/robots_tag.h"
#endif

namespace oqvl::data {

void validate(const HttpOptions& o) {
  if (o.connections < 1) fail("--connections must be >= 1 (got {})", o.connections);
  if (!(o.timeout_s > 0)) fail("--timeout must be > 0 seconds (got {})", o.timeout_s);
  if (o.retries < 0) fail("--retries must be >= 0 (got {})", o.retries);
  if (!(o.retry_backoff_s >= 0)) fail("--retry-backoff must be >= 0 seconds (got {})", o.retry_backoff_s);
  if (o.max_redirects < 0) fail("--max-redirects must be >= 0 (got {})", o.max_redirects);
  if (o.max_body_bytes < 1) fail("--max-body-bytes must be >= 1 (got {})", o.max_body_bytes);
}

#ifndef OQVL_HAVE_CURL

bool http_fetch_available() { return false; }

void fetch_urls(const HttpOptions&, const std::function<NextRequest(HttpRequest&)>&,
                const std::function<void(HttpRequest&&, HttpResult&&)>&) {
  fail("this oqvl was built without libcurl, so `oqvl data download` cannot fetch: install "
       "libcurl4-openssl-dev (scripts/setup.sh does) and rebuild");
}

#else

namespace {
using Clock = std::chrono::steady_clock;

struct Transfer {
  HttpRequest request;
  HttpResult result;
  CURL* easy = nullptr;
  const HttpOptions* options = nullptr;
  bool too_large = false;
  bool opted_out = false;
  std::vector<std::string> robots_tags;  // of the latest response (redirects reset them)
  char error_buffer[CURL_ERROR_SIZE] = {};
};

struct Retry {
  Clock::time_point ready;
  std::unique_ptr<Transfer> transfer;
  bool operator<(const Retry& other) const { return ready > other.ready; }  // min-heap
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    t->robots_tags.clear();  // a new response (after a redirect or a 100 Continue)
  } else if (line.size() > 13 && ascii_lower(line.substr(0, 13)) == "x-robots-tag:") {
    t->robots_tags.emplace_back(trim(line.substr(13)));
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->result.body.empty()) {
    // The first body bytes: the headers of the final response are all in. An opt-out stops
    // the transfer before the image is read.
    for (const auto& value : t->robots_tags) {
      if (robots_tag_disallows(value, t->options->disallowed_directives)) {
        t->opted_out = true;
        return 0;
      }
    }
  }
  size_t n = size * count;
  if (static_cast<std::int64_t>(t->result.body.size() + n) > t->options->max_body_bytes) {
    t->too_large = true;
    return 0;
  }
  t->result.body.append(data, n);
  return n;
}

void check(CURLcode code, const char* what) {
  if (code != CURLE_OK)
    throw std::runtime_error(fmt::format("libcurl {}: {}", what, curl_easy_strerror(code)));
}

void setup(Transfer& t, const HttpOptions& o, const std::string& user_agent) {
  t.easy = curl_easy_init();
  if (!t.easy) throw std::runtime_error("curl_easy_init failed");
  CURL* e = t.easy;
  check(curl_easy_setopt(e, CURLOPT_URL, t.request.url.c_str()), "URL");
  check(curl_easy_setopt(e, CURLOPT_PRIVATE, &t), "PRIVATE");
  check(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body), "WRITEFUNCTION");
  check(curl_easy_setopt(e, CURLOPT_WRITEDATA, &t), "WRITEDATA");
  check(curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header), "HEADERFUNCTION");
  check(curl_easy_setopt(e, CURLOPT_HEADERDATA, &t), "HEADERDATA");
  check(curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error_buffer), "ERRORBUFFER");
  check(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L), "NOSIGNAL");
  check(curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L), "FOLLOWLOCATION");
  check(curl_easy_setopt(e, CURLOPT_MAXREDIRS, static_cast<long>(o.max_redirects)), "MAXREDIRS");
  check(curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"), "PROTOCOLS_STR");
  check(curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"), "REDIR_PROTOCOLS_STR");
  auto timeout_ms = static_cast<long>(std::ceil(o.timeout_s * 1000));
  check(curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms), "TIMEOUT_MS");
  check(curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms), "CONNECTTIMEOUT_MS");
  // A declared Content-Length above the limit fails before the body is read.
  check(curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(o.max_body_bytes)),
        "MAXFILESIZE");
  check(curl_easy_setopt(e, CURLOPT_USERAGENT, user_agent.c_str()), "USERAGENT");
  check(curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 600L), "DNS_CACHE_TIMEOUT");
}

// The result of a finished attempt, and whether another attempt may help.
bool finish(Transfer& t, CURLcode code) {
  long status = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
  HttpResult& r = t.result;
  r.status = status;
  bool transient = false;
  if (t.opted_out) {
    r.error = "opted out (X-Robots-Tag)";
  } else if (t.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    r.error = "body too large";
  } else if (code == CURLE_OK) {
    if (status >= 200 && status < 300) {
      r.ok = true;
    } else {
      r.error = fmt::format("http {}", status);
      transient = status == 429 || status >= 500;
    }
  } else {
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT:
        r.error = "timeout";
        transient = true;
        break;
      case CURLE_PARTIAL_FILE:
        r.error = "truncated body";
        transient = true;
        break;
      case CURLE_TOO_MANY_REDIRECTS: r.error = "too many redirects"; break;
      case CURLE_COULDNT_CONNECT:
      case CURLE_RECV_ERROR:
      case CURLE_SEND_ERROR:
      case CURLE_GOT_NOTHING:
        r.error = "connection failed";
        transient = true;
        break;
      case CURLE_COULDNT_RESOLVE_HOST:
        r.error = "dns failure";
        transient = true;
        break;
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL: r.error = "bad url"; break;
      default:
        r.error = fmt::format("curl: {}", t.error_buffer[0] ? t.error_buffer : curl_easy_strerror(code));
        transient = true;
    }
  }
  if (!r.ok) r.body.clear();
  return transient;
}

struct Global {
  Global() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

}  // namespace

bool http_fetch_available() { return true; }

void fetch_urls(const HttpOptions& options, const std::function<NextRequest(HttpRequest&)>& next,
                const std::function<void(HttpRequest&&, HttpResult&&)>& done) {
  static Global global;  // curl_global_init once, before any thread uses libcurl
  validate(options);
  const std::string user_agent = options.user_agent.empty()
                                     ? fmt::format("oqvl/{} (img2dataset-compatible downloader)",
                                                   OQVL_VERSION)
                                     : options.user_agent;
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(), curl_multi_cleanup);
  if (!multi) throw std::runtime_error("curl_multi_init failed");
  curl_multi_setopt(multi.get(), CURLMOPT_MAXCONNECTS, static_cast<long>(options.connections));

  std::unordered_map<Transfer*, std::unique_ptr<Transfer> > active;
  std::priority_queue<Retry> retries;
  bool input_done = false;
  // Removes the easy handles still attached, on any exit (an exception from a callback).
  struct Cleanup {
    CURLM* multi;
    std::unordered_map<Transfer*, std::unique_ptr<Transfer> >& active;
    ~Cleanup() {
      for (auto& [p, t] : active) {
        curl_multi_remove_handle(multi, t->easy);
        curl_easy_cleanup(t->easy);
      }
    }
  } cleanup{multi.get(), active};

  auto start = [&](std::unique_ptr<Transfer> t) {
    t->options = &options;
    t->result.body.clear();
    t->result.error.clear();
    t->result.ok = false;
    t->too_large = t->opted_out = false;
    t->robots_tags.clear();
    t->error_buffer[0] = 0;
    ++t->result.attempts;
    if (t->request.url.empty()) {
      t->result.error = "empty url";
      done(std::move(t->request), std::move(t->result));
      return;
    }
    setup(*t, options, user_agent);
    CURLMcode mc = curl_multi_add_handle(multi.get(), t->easy);
    if (mc != CURLM_OK)
      throw std::runtime_error(fmt::format("curl_multi_add_handle: {}", curl_multi_strerror(mc)));
    Transfer* key = t.get();
    active.emplace(key, std::move(t));
  };

  while (true) {
    auto now = Clock::now();
    while (static_cast<int>(active.size()) < options.connections) {
      if (!retries.empty() && retries.top().ready <= now) {
        auto t = std::move(const_cast<Retry&>(retries.top()).transfer);
        retries.pop();
        start(std::move(t));
        continue;
      }
      if (input_done) break;
      auto t = std::make_unique<Transfer>();
      NextRequest n = next(t->request);
      if (n == NextRequest::kDone) input_done = true;
      if (n != NextRequest::kReady) break;
      start(std::move(t));
    }
    if (active.empty() && retries.empty() && input_done) break;

    int running = 0;
    CURLMcode mc = curl_multi_perform(multi.get(), &running);
    if (mc != CURLM_OK)
      throw std::runtime_error(fmt::format("curl_multi_perform: {}", curl_multi_strerror(mc)));
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* key = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&key));
      CURLcode code = msg->data.result;
      auto it = active.find(key);
      std::unique_ptr<Transfer> t = std::move(it->second);
      active.erase(it);
      bool transient = finish(*t, code);
      curl_multi_remove_handle(multi.get(), t->easy);
      curl_easy_cleanup(t->easy);
      t->easy = nullptr;
      if (transient && t->result.attempts <= options.retries) {
        double wait = options.retry_backoff_s * std::pow(2.0, t->result.attempts - 1);
        auto ready = Clock::now() +
                     std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wait));
        retries.push(Retry{ready, std::move(t)});
      } else {
        done(std::move(t->request), std::move(t->result));
      }
    }
    // Sleep until a socket is ready, a retry is due, or (waiting for input) a short while.
    int wait_ms = input_done ? 1000 : 10;
    if (!retries.empty()) {
      auto until =
          std::chrono::duration_cast<std::chrono::milliseconds>(retries.top().ready - Clock::now()).count();
      wait_ms = static_cast<int>(std::clamp<long long>(until, 0, wait_ms));
    }
    if (!active.empty() || wait_ms > 0) {
      mc = curl_multi_poll(multi.get(), nullptr, 0, wait_ms, nullptr);
      if (mc != CURLM_OK)
        throw std::runtime_error(fmt::format("curl_multi_poll: {}", curl_multi_strerror(mc)));
    }
  }
}

#endif

}  // namespace oqvl::data
