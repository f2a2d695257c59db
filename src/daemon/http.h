#pragma once

// A minimal, strict HTTP/1.1 request parser for weftd's Docker plugin socket
// (Docker's remote driver protocol: POST /Method with a JSON body). It knows
// only what that protocol needs: a request line, headers, a Content-Length
// body and keep-alive. No chunked bodies, no pipelined upgrades, no
// continuation lines. Everything is bounded.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace weft::daemon::http {

inline constexpr size_t kMaxHeaderBytes = size_t{8} * 1024;   // request line + headers
inline constexpr size_t kMaxBodyBytes = size_t{1024} * 1024;  // Docker's bodies are small
inline constexpr size_t kMaxHeaders = 64;

struct Request {
  std::string method;
  std::string target;                          // "/NetworkDriver.Join"
  std::string version;                         // "HTTP/1.1" or "HTTP/1.0"
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;
};

// Feeds bytes in as they arrive; yields one request at a time. After an
// error the parser stays failed (the connection must be closed, after
// sending error_status()).
class Parser {
 public:
  enum class State { kNeedMore, kDone, kError };

  // Consumes from `data` and returns how many bytes it used (the rest
  // belongs to the next request). State kDone: request() is complete; call
  // Reset() before the next one.
  size_t Feed(std::string_view data);
  State state() const { return state_; }
  const Request& request() const { return request_; }
  int error_status() const { return error_status_; }  // 400, 411, 413, 431, 501, 505
  const std::string& error() const { return error_; }
  void Reset();

 private:
  bool Fail(int status, std::string why);
  bool ParseHead();  // the request line and headers in head_

  State state_ = State::kNeedMore;
  bool in_body_ = false;
  std::string head_;
  size_t body_length_ = 0;
  Request request_;
  int error_status_ = 0;
  std::string error_;
};

// An HTTP/1.1 response with a body and Content-Length.
std::string Response(int status, std::string_view content_type, std::string_view body,
                     bool keep_alive);
std::string_view Reason(int status);

}  // namespace weft::daemon::http
