#pragma once

// One JSON POST to an etcd member over libcurl: the handle and everything it
// points to, owned together (RAII), and what became of the transfer, sorted
// the way the client decides whether another member may be tried.

#include <curl/curl.h>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "etcd/curl_api.h"

namespace weft::etcd {

struct CurlEasyDeleter {
  void operator()(CURL* h) const { Curl().easy_cleanup(h); }
};
using CurlPtr = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlMultiDeleter {
  void operator()(CURLM* m) const { Curl().multi_cleanup(m); }
};
using CurlMultiPtr = std::unique_ptr<CURLM, CurlMultiDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { Curl().slist_free_all(l); }
};
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Holds libcurl's global initialisation while alive. libcurl (7.84 on)
// counts curl_global_init/cleanup pairs and makes them thread-safe, so every
// owner of handles keeps one of these instead of the program doing it once.
class CurlLibrary {
 public:
  CurlLibrary();
  ~CurlLibrary();
  CurlLibrary(const CurlLibrary&) = delete;
  CurlLibrary& operator=(const CurlLibrary&) = delete;
};

// What became of a transfer.
struct HttpOutcome {
  enum class Kind {
    kDone,      // an HTTP answer came (any status)
    kNotSent,   // no request went out (no connection): another member may be asked
    kTimedOut,  // sent, but no full answer in time: it may have been applied
    kFailed,    // sent, then the transfer broke: it may have been applied
    kAborted,   // the body sink asked to stop
  };
  Kind kind = Kind::kDone;
  std::string cause;  // libcurl's one-line description when not kDone
};

// A POST of a JSON body to `url`, made by the constructor and run by
// Perform() (blocking) or through a multi handle (streams). The proxy
// environment is ignored: etcd members are reached directly.
class JsonPost {
 public:
  // Receives the body as it arrives; returning false aborts the transfer.
  using Sink = std::function<bool(std::string_view)>;

  JsonPost(std::string url, const std::string& body, std::chrono::milliseconds dial_timeout);
  JsonPost(const JsonPost&) = delete;
  JsonPost& operator=(const JsonPost&) = delete;

  // The whole transfer's limit (none by default, for streams).
  void SetTimeout(std::chrono::milliseconds timeout);
  // An extra request header, "Name: value". Call before the transfer starts.
  void AddHeader(const std::string& header);
  // Replaces the default sink, which collects the body into body().
  void SetSink(Sink sink) { sink_ = std::move(sink); }

  // Runs the whole transfer on the calling thread.
  HttpOutcome Perform();
  // Sorts `code`, the result of a transfer run elsewhere (a multi handle).
  HttpOutcome Outcome(CURLcode code) const;

  CURL* easy() const { return easy_.get(); }
  const std::string& url() const { return url_; }
  long http_status() const;
  const std::string& body() const { return body_; }

 private:
  static size_t Write(char* data, size_t size, size_t n, void* self);

  std::string url_;
  CurlPtr easy_;
  CurlSlistPtr headers_;
  Sink sink_;
  std::string body_;
  bool aborted_ = false;
  std::array<char, CURL_ERROR_SIZE> error_{};
};

}  // namespace weft::etcd
