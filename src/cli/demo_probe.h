#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace weft::cli {

// What a TCP exchange between two namespaces showed.
struct ProbeResult {
  std::string received;  // bytes the server read
  std::string peer;      // client address as the server saw it
  std::string reply;     // bytes the client read back
};

// Opens a listening TCP socket on listen_ip:port inside server_ns, connects
// to connect_ip:port from inside client_ns, sends `payload` one way and an
// echo the other. Sockets are created inside their namespaces and used from
// the calling thread, which ends in its own namespace. Fails after
// `timeout_ms` without a connection. For `weft demo` (cmd_demo.cc), which
// proves its steps with real traffic.
Result<ProbeResult> TcpProbe(int server_ns, const std::string& listen_ip, uint16_t port,
                             int client_ns, const std::string& connect_ip,
                             const std::string& payload, int timeout_ms = 3000);

}  // namespace weft::cli
