#pragma once

// The weft side of weftd's control socket.
//
// Protocol: a unix stream socket; each request is one JSON object on one
// line, answered by one JSON object on one line. Every reply has "ok"; a
// failed request has "ok": false and "error" (one line of text).
//   {"op":"ping"}    -> {"ok":true,"pid":N}
//   {"op":"reload"}  -> {"ok":true,"generation":N,"exiting":bool,
//                        "errors":[{"network","error"}]}
//       re-reads the state store; the reply comes after every change is
//       live, so the next DNS query sees it. "exiting": nothing left to
//       serve, so the daemon stops. "errors": networks not served (their
//       sockets could not be bound), retried at every reload.
//   {"op":"status"}  -> {"ok":true,"pid":N,"generation":N,"names":N,
//                        "networks":[{"name","bridge","listen":[..],
//                        "upstreams":[..],"forward":bool,"error":""}]}

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"

namespace weft::control {

// Sends `request` to the daemon listening on `socket_path` and returns its
// reply. kUnavailable when nothing listens there (no socket file, connection
// refused) or the daemon does not answer within `timeout`; kInternal for a
// reply that is not JSON; the daemon's own error text for "ok": false.
Result<nlohmann::json> Call(const std::string& socket_path, const nlohmann::json& request,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Sends `request` and returns without waiting for the reply (the daemon's
// answer goes to a closed connection, which it ignores). kUnavailable as for
// Call when nothing listens or the request cannot be sent within `timeout`.
Status Notify(const std::string& socket_path, const nlohmann::json& request,
              std::chrono::milliseconds timeout = std::chrono::seconds(1));

}  // namespace weft::control
