#include "kernel/conntrack.h"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netfilter/ct.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "kernel/netlink/dump.h"
#include "kernel/netlink/ip_text.h"
#include "kernel/netlink/socket.h"

namespace weft::kernel {
namespace {

struct NfSockDeleter {
  void operator()(nl_sock* p) const { nl_socket_free(p); }  // closes the fd too
};
using NfSockPtr = std::unique_ptr<nl_sock, NfSockDeleter>;

struct CtDeleter {
  void operator()(nfnl_ct* p) const { nfnl_ct_put(p); }
};
using CtPtr = std::unique_ptr<nfnl_ct, CtDeleter>;

struct CtCbDeleter {
  void operator()(nl_cb* p) const { nl_cb_put(p); }
};
using CtCbPtr = std::unique_ptr<nl_cb, CtCbDeleter>;

// What a dump keeps: the entries whose reply tuple starts at the backend.
struct CtMatcher {
  uint8_t proto = 0;
  IpAddress source;
  uint16_t port = 0;
  std::vector<CtPtr> found;
  int error = 0;  // the first parse error
};

constexpr int kReplyDir = 1;  // libnl's tuple index: 0 original, 1 reply

int OnCtMessage(nl_msg* msg, void* arg) {
  auto* m = static_cast<CtMatcher*>(arg);
  nfnl_ct* raw = nullptr;
  int rc = nfnlmsg_ct_parse(nlmsg_hdr(msg), &raw);
  if (rc < 0) {
    if (m->error == 0) m->error = rc;
    return NL_OK;  // read the dump to its end either way
  }
  CtPtr ct(raw);
  if (nfnl_ct_get_proto(ct.get()) != m->proto) return NL_OK;
  if (!nfnl_ct_test_src_port(ct.get(), kReplyDir) ||
      nfnl_ct_get_src_port(ct.get(), kReplyDir) != m->port) {
    return NL_OK;
  }
  auto src = netlink::ToIpAddress(nfnl_ct_get_src(ct.get(), kReplyDir));
  if (!src || *src != m->source) return NL_OK;
  m->found.push_back(std::move(ct));
  return NL_OK;
}

Result<NfSockPtr> OpenNetfilterSocket() {
  NfSockPtr sock(nl_socket_alloc());
  if (!sock) return Internal("nl_socket_alloc: out of memory");
  // libnl opens the fd with SOCK_CLOEXEC.
  int rc = nfnl_connect(sock.get());
  if (rc < 0) return netlink::StatusFromNl("nfnl_connect(NETLINK_NETFILTER)", rc);
  return sock;
}

// Dumps the table of the backend's family (the kernel filters on the
// family; protocol and reply tuple are matched here, as conntrack(8) does).
Result<std::vector<CtPtr>> DumpMatching(nl_sock* sock, CtMatcher& matcher) {
  CtCbPtr sock_cb(nl_socket_get_cb(sock));
  CtCbPtr cb(nl_cb_clone(sock_cb.get()));
  if (!cb) return Internal("nl_cb_clone: out of memory");
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, &OnCtMessage, &matcher);
  const uint8_t family = static_cast<uint8_t>(matcher.source.family());
  int rc = netlink::RetryOnDumpIntr(netlink::kDumpAttempts, [&]() -> int {
    matcher.found.clear();
    matcher.error = 0;
    int err = nfnl_send_simple(sock, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family,
                               /*res_id=*/0);
    if (err < 0) return err;
    return nl_recvmsgs(sock, cb.get());
  });
  if (rc == -NLE_DUMP_INTR) {
    return Unavailable("dump conntrack: interrupted " + std::to_string(netlink::kDumpAttempts) +
                       " times in a row (the table keeps changing)");
  }
  if (rc < 0) return netlink::StatusFromNl("dump conntrack", rc);
  if (matcher.error < 0) return netlink::StatusFromNl("dump conntrack: parse", matcher.error);
  return std::move(matcher.found);
}

Result<int> DeleteMatching(uint8_t ip_proto, const IpAddress& backend, uint16_t port) {
  WEFT_ASSIGN_OR_RETURN(NfSockPtr sock, OpenNetfilterSocket());
  CtMatcher matcher;
  matcher.proto = ip_proto;
  matcher.source = backend;
  matcher.port = port;
  WEFT_ASSIGN_OR_RETURN(std::vector<CtPtr> found, DumpMatching(sock.get(), matcher));
  int deleted = 0;
  for (const auto& ct : found) {
    // The request names the entry by its original tuple, zone and id (as
    // dumped), so an entry that expired and was made again since the dump
    // is not deleted in its place.
    int rc = nfnl_ct_del(sock.get(), ct.get(), 0);
    if (rc == -NLE_OBJ_NOTFOUND) continue;  // expired since the dump
    if (rc < 0) return netlink::StatusFromNl("nfnl_ct_del", rc);
    ++deleted;
  }
  return deleted;
}

}  // namespace

Result<int> DeleteFlowsTo(uint8_t ip_proto, const IpAddress& backend, uint16_t port) {
  const IpAddress source = backend.Unmapped();
  auto r = DeleteMatching(ip_proto, source, port);
  if (!r.ok()) {
    const std::string where = source.is_v6() ? "[" + source.ToString() + "]:" + std::to_string(port)
                                             : source.ToString() + ":" + std::to_string(port);
    return r.status().Wrap("delete conntrack entries (protocol " + std::to_string(ip_proto) +
                           ") to " + where);
  }
  return r;
}

Result<int> DeleteUdpFlowsTo(const IpAddress& backend, uint16_t port) {
  return DeleteFlowsTo(IPPROTO_UDP, backend, port);
}

}  // namespace weft::kernel
