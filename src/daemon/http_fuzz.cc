// libFuzzer target: weftd's HTTP/1.1 request parser (the Docker plugin
// socket), fed the input in the pieces a stream socket may deliver.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/http.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using weft::daemon::http::Parser;
  if (size == 0) return 0;
  // The first byte picks the piece size; the rest is the stream.
  size_t piece = 1 + data[0] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  Parser p;
  size_t requests = 0;
  while (!in.empty()) {
    std::string_view chunk = in.substr(0, piece);
    size_t used = p.Feed(chunk);
    if (used > chunk.size()) __builtin_trap();
    if (p.state() == Parser::State::kError) {
      if (p.error_status() < 400 || p.error_status() > 599) __builtin_trap();
      break;
    }
    if (p.state() == Parser::State::kDone) {
      const auto& r = p.request();
      if (r.body.size() > weft::daemon::http::kMaxBodyBytes) __builtin_trap();
      if (r.target.empty() || r.target[0] != '/') __builtin_trap();
      ++requests;
      p.Reset();
    } else if (used != chunk.size()) {
      __builtin_trap();  // wanting more, it must take everything offered
    }
    in.remove_prefix(used);
  }
  (void)requests;
  return 0;
}
