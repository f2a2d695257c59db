#include "kernel/netlink/dump.h"

#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <string>

namespace weft::netlink {
namespace {

struct Collector {
  std::vector<ObjectPtr> objects;
  int error = 0;  // first parse error
};

void OnObject(nl_object* obj, void* arg) {
  nl_object_get(obj);  // nl_msg_parse drops its reference after we return
  static_cast<Collector*>(arg)->objects.emplace_back(obj);
}

int OnMessage(nl_msg* msg, void* arg) {
  auto* c = static_cast<Collector*>(arg);
  int rc = nl_msg_parse(msg, &OnObject, c);
  if (rc < 0 && c->error == 0) c->error = rc;
  return NL_OK;  // keep reading to the end of the dump either way
}

struct CbDeleter {
  void operator()(nl_cb* p) const { nl_cb_put(p); }
};
using CbPtr = std::unique_ptr<nl_cb, CbDeleter>;

}  // namespace

int RetryOnDumpIntr(int max_attempts, const std::function<int()>& attempt) {
  int rc = -NLE_DUMP_INTR;
  for (int i = 0; i < max_attempts && rc == -NLE_DUMP_INTR; ++i) rc = attempt();
  return rc;
}

Result<std::vector<ObjectPtr>> Dump(Socket& sock, int rtm_type, const void* hdr, size_t hdr_len) {
  const std::string what = "netlink dump (type " + std::to_string(rtm_type) + ")";
  CbPtr sock_cb(nl_socket_get_cb(sock.get()));
  CbPtr cb(nl_cb_clone(sock_cb.get()));
  if (!cb) return Internal(what + ": out of memory");
  Collector collector;
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, &OnMessage, &collector);
  int rc = RetryOnDumpIntr(kDumpAttempts, [&]() -> int {
    collector = Collector();
    int err = nl_send_simple(sock.get(), rtm_type, NLM_F_DUMP, const_cast<void*>(hdr), hdr_len);
    if (err < 0) return err;
    return nl_recvmsgs(sock.get(), cb.get());
  });
  if (rc == -NLE_DUMP_INTR) {
    return Unavailable(what + ": interrupted " + std::to_string(kDumpAttempts) +
                       " times in a row (the table keeps changing)");
  }
  if (rc < 0) return StatusFromNl(what, rc);
  if (collector.error < 0) return StatusFromNl(what + ": parse", collector.error);
  return std::move(collector.objects);
}

}  // namespace weft::netlink
