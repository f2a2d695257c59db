#include "etcd/http.h"

#include <cstdlib>

namespace weft::etcd {

CurlLibrary::CurlLibrary() {
  if (Curl().global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) std::abort();  // out of memory
}

CurlLibrary::~CurlLibrary() { Curl().global_cleanup(); }

JsonPost::JsonPost(std::string url, const std::string& body, std::chrono::milliseconds dial_timeout)
    : url_(std::move(url)), easy_(Curl().easy_init()) {
  if (!easy_) std::abort();  // out of memory
  AddHeader("Content-Type: application/json");
  CURL* h = easy_.get();
  Curl().easy_setopt(h, CURLOPT_URL, url_.c_str());
  Curl().easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  // Members are reached directly, whatever http_proxy says.
  Curl().easy_setopt(h, CURLOPT_PROXY, "");
  // Several threads run transfers: no SIGALRM-based resolver timeouts.
  Curl().easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  Curl().easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(dial_timeout.count()));
  // A watch can be idle for hours: keepalive probes find a dead peer.
  Curl().easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  Curl().easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 10L);
  Curl().easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 5L);
  Curl().easy_setopt(h, CURLOPT_COPYPOSTFIELDS, body.c_str());
  Curl().easy_setopt(h, CURLOPT_WRITEFUNCTION, &JsonPost::Write);
  Curl().easy_setopt(h, CURLOPT_WRITEDATA, this);
  Curl().easy_setopt(h, CURLOPT_ERRORBUFFER, error_.data());
}

void JsonPost::SetTimeout(std::chrono::milliseconds timeout) {
  Curl().easy_setopt(easy_.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
}

void JsonPost::AddHeader(const std::string& header) {
  curl_slist* list = Curl().slist_append(headers_.get(), header.c_str());
  if (list == nullptr) std::abort();  // out of memory
  (void)headers_.release();           // now owned by `list`
  headers_.reset(list);
  Curl().easy_setopt(easy_.get(), CURLOPT_HTTPHEADER, headers_.get());
}

size_t JsonPost::Write(char* data, size_t size, size_t n, void* self) {
  auto* post = static_cast<JsonPost*>(self);
  const std::string_view chunk(data, size * n);
  if (!post->sink_) {
    post->body_ += chunk;
    return chunk.size();
  }
  if (post->sink_(chunk)) return chunk.size();
  post->aborted_ = true;
  return 0;  // libcurl stops with CURLE_WRITE_ERROR
}

HttpOutcome JsonPost::Perform() { return Outcome(Curl().easy_perform(easy_.get())); }

HttpOutcome JsonPost::Outcome(CURLcode code) const {
  if (code == CURLE_OK) return {};
  if (aborted_) return {.kind = HttpOutcome::Kind::kAborted, .cause = "stopped by the reader"};
  std::string cause = error_[0] != '\0' ? std::string(error_.data()) : Curl().easy_strerror(code);
  // What libcurl counts as sent is the request's headers: none means the
  // member never saw the call, whatever failed (resolving, connecting).
  long sent = 0;
  Curl().easy_getinfo(easy_.get(), CURLINFO_REQUEST_SIZE, &sent);
  HttpOutcome::Kind kind = HttpOutcome::Kind::kFailed;
  if (sent == 0) {
    kind = HttpOutcome::Kind::kNotSent;
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    kind = HttpOutcome::Kind::kTimedOut;
  }
  return {.kind = kind, .cause = std::move(cause)};
}

long JsonPost::http_status() const {
  long status = 0;
  Curl().easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &status);
  return status;
}

}  // namespace weft::etcd
