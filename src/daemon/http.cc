#include "daemon/http.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace weft::daemon::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// RFC 9110 token characters (method and header names).
bool IsTokenChar(unsigned char c) {
  if (std::isalnum(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return IsTokenChar(static_cast<unsigned char>(c));
  });
}

// Field values: visible characters, space and tab; no control characters.
bool IsFieldValue(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7f);
  });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool HasToken(std::string_view list, std::string_view token) {
  const std::string l = Lower(list);
  const std::string_view view = l;
  size_t pos = 0;
  while (pos <= view.size()) {
    size_t comma = view.find(',', pos);
    if (comma == std::string_view::npos) comma = view.size();
    if (Trim(view.substr(pos, comma - pos)) == token) return true;
    pos = comma + 1;
  }
  return false;
}

}  // namespace

void Parser::Reset() {
  state_ = State::kNeedMore;
  in_body_ = false;
  head_.clear();
  body_length_ = 0;
  request_ = Request{};
  error_status_ = 0;
  error_.clear();
}

bool Parser::Fail(int status, std::string why) {
  state_ = State::kError;
  error_status_ = status;
  error_ = std::move(why);
  return false;
}

size_t Parser::Feed(std::string_view data) {
  size_t used = 0;
  while (state_ == State::kNeedMore && used < data.size()) {
    if (!in_body_) {
      // Byte by byte up to the blank line: the head is small and bounded.
      head_.push_back(data[used++]);
      if (head_.size() == 2 && head_ == "\r\n") {
        head_.clear();  // tolerate one empty line before a request (RFC 9112 2.2)
        continue;
      }
      if (head_.size() >= 4 && head_.compare(head_.size() - 4, 4, "\r\n\r\n") == 0) {
        if (!ParseHead()) return used;
        in_body_ = true;
        if (body_length_ == 0) state_ = State::kDone;
        continue;
      }
      if (head_.size() > kMaxHeaderBytes) {
        Fail(431, "request header too large");
        return used;
      }
      continue;
    }
    size_t want = body_length_ - request_.body.size();
    size_t n = std::min(want, data.size() - used);
    request_.body.append(data.substr(used, n));
    used += n;
    if (request_.body.size() == body_length_) state_ = State::kDone;
  }
  return used;
}

bool Parser::ParseHead() {
  std::string_view head(head_);
  head.remove_suffix(2);  // the blank line's CRLF; every line below ends in CRLF
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);

  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Fail(400, "malformed request line");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return Fail(400, "malformed method");
  if (target.empty() || target.front() != '/' ||
      !std::all_of(target.begin(), target.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return c > 0x20 && c < 0x7f;
      })) {
    return Fail(400, "malformed request target");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return Fail(version.substr(0, 5) == "HTTP/" ? 505 : 400, "unsupported HTTP version");
  }
  request_.method = method;
  request_.target = target;
  request_.version = version;

  while (!head.empty()) {
    eol = head.find("\r\n");
    std::string_view field = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    if (request_.headers.size() >= kMaxHeaders) return Fail(431, "too many header fields");
    size_t colon = field.find(':');
    if (colon == std::string_view::npos) return Fail(400, "malformed header field");
    std::string_view name = field.substr(0, colon);
    std::string_view value = Trim(field.substr(colon + 1));
    // No whitespace before the colon, no obsolete line folding.
    if (!IsToken(name)) return Fail(400, "malformed header field name");
    if (!IsFieldValue(value)) return Fail(400, "malformed header field value");
    std::string key = Lower(name);
    auto [it, added] = request_.headers.emplace(key, std::string(value));
    if (!added) {
      if (key == "content-length" || key == "host" || key == "transfer-encoding") {
        return Fail(400, "repeated " + key + " header");
      }
      it->second += ", " + std::string(value);
    }
  }

  if (request_.headers.count("transfer-encoding")) {
    return Fail(501, "transfer codings are not supported");
  }
  if (auto it = request_.headers.find("content-length"); it != request_.headers.end()) {
    const std::string& v = it->second;
    size_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size() ||
        !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Fail(400, "malformed Content-Length");
    }
    if (n > kMaxBodyBytes) return Fail(413, "request body too large");
    body_length_ = n;
  }
  request_.body.reserve(body_length_);

  auto conn = request_.headers.find("connection");
  bool http10 = request_.version == "HTTP/1.0";
  if (conn != request_.headers.end() && HasToken(conn->second, "close")) {
    request_.keep_alive = false;
  } else if (http10) {
    request_.keep_alive = conn != request_.headers.end() && HasToken(conn->second, "keep-alive");
  }
  return true;
}

std::string_view Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string Response(int status, std::string_view content_type, std::string_view body,
                     bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(Reason(status)) +
                    "\r\nContent-Type: " + std::string(content_type) +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  return out;
}

}  // namespace weft::daemon::http
