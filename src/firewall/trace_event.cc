#include "firewall/trace_event.h"

#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <cstring>
#include <string_view>

#include "base/ip.h"

namespace weft::firewall {
namespace {

struct Attr {
  uint16_t type;
  const uint8_t* data;
  size_t len;
};

// Walks netlink attributes in [p, p+len); calls fn(Attr) for each. Returns
// false on a malformed attribute.
template <typename F>
bool ForEachAttr(const uint8_t* p, size_t len, F&& fn) {
  while (len >= sizeof(nlattr)) {
    nlattr a;
    std::memcpy(&a, p, sizeof a);
    if (a.nla_len < sizeof(nlattr) || a.nla_len > len) return false;
    fn(Attr{static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK), p + NLA_HDRLEN,
            a.nla_len - static_cast<size_t>(NLA_HDRLEN)});
    const size_t step = NLA_ALIGN(a.nla_len);
    if (step >= len) break;
    p += step;
    len -= step;
  }
  return true;
}

std::optional<uint32_t> Be32(const Attr& a) {
  if (a.len < 4) return std::nullopt;
  uint32_t v;
  std::memcpy(&v, a.data, 4);
  return ntohl(v);
}

std::optional<uint64_t> Be64(const Attr& a) {
  if (a.len < 8) return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | a.data[i];
  return v;
}

std::string Str(const Attr& a) {
  std::string_view s(reinterpret_cast<const char*>(a.data), a.len);
  if (auto nul = s.find('\0'); nul != std::string_view::npos) s = s.substr(0, nul);
  return std::string(s);
}

std::string AddrText(int family, const uint8_t* p) {
  return IpAddress::FromBytes(family, p).ToString();
}

// The network header: IPv4 or IPv6, addresses and the next protocol.
void DecodeNetworkHeader(const Attr& a, TracePacket& pkt) {
  if (a.len >= 20 && (a.data[0] >> 4) == 4) {
    pkt.protocol = a.data[9];
    pkt.saddr = AddrText(AF_INET, a.data + 12);
    pkt.daddr = AddrText(AF_INET, a.data + 16);
  } else if (a.len >= 40 && (a.data[0] >> 4) == 6) {
    pkt.protocol = a.data[6];
    pkt.saddr = AddrText(AF_INET6, a.data + 8);
    pkt.daddr = AddrText(AF_INET6, a.data + 24);
  }
}

// The transport header's first bytes: ports, or an echo's id.
void DecodeTransportHeader(const Attr& a, TracePacket& pkt) {
  auto be16 = [&](size_t off) { return static_cast<uint16_t>(a.data[off] << 8 | a.data[off + 1]); };
  if (pkt.protocol == IPPROTO_TCP || pkt.protocol == IPPROTO_UDP) {
    if (a.len >= 4) {
      pkt.sport = be16(0);
      pkt.dport = be16(2);
    }
  } else if (pkt.protocol == IPPROTO_ICMP || pkt.protocol == IPPROTO_ICMPV6) {
    if (a.len >= 6) pkt.sport = be16(4);  // echo identifier
  }
}

}  // namespace

Result<TraceEvent> DecodeTraceMessage(const uint8_t* data, size_t len) {
  if (len < NLMSG_HDRLEN + sizeof(nfgenmsg)) return InvalidArgument("trace message too short");
  nlmsghdr h;
  std::memcpy(&h, data, sizeof h);
  if (h.nlmsg_len < NLMSG_HDRLEN + sizeof(nfgenmsg) || h.nlmsg_len > len) {
    return InvalidArgument("trace message: bad length " + std::to_string(h.nlmsg_len));
  }
  if (h.nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_TRACE)) {
    return InvalidArgument("not a trace message (type " + std::to_string(h.nlmsg_type) + ")");
  }
  nfgenmsg g;
  std::memcpy(&g, data + NLMSG_HDRLEN, sizeof g);
  TraceEvent ev;
  ev.family = g.nfgen_family;
  const size_t attrs_off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  const uint8_t* attrs = data + attrs_off;
  const size_t attrs_len = h.nlmsg_len > attrs_off ? h.nlmsg_len - attrs_off : 0;
  Attr transport{0, nullptr, 0};
  bool ok = ForEachAttr(attrs, attrs_len, [&](const Attr& a) {
    switch (a.type) {
      case NFTA_TRACE_TABLE:
        ev.table = Str(a);
        break;
      case NFTA_TRACE_CHAIN:
        ev.chain = Str(a);
        break;
      case NFTA_TRACE_RULE_HANDLE:
        ev.rule_handle = Be64(a);
        break;
      case NFTA_TRACE_TYPE:
        if (auto v = Be32(a)) ev.type = static_cast<TraceType>(*v);
        break;
      case NFTA_TRACE_ID:
        if (auto v = Be32(a)) ev.id = *v;
        break;
      case NFTA_TRACE_IIF:
        if (auto v = Be32(a)) ev.iif = *v;
        break;
      case NFTA_TRACE_OIF:
        if (auto v = Be32(a)) ev.oif = *v;
        break;
      case NFTA_TRACE_NFPROTO:
        if (auto v = Be32(a)) ev.nfproto = *v;
        break;
      case NFTA_TRACE_POLICY:
        if (auto v = Be32(a)) ev.policy = static_cast<TraceVerdict>(static_cast<int32_t>(*v));
        break;
      case NFTA_TRACE_VERDICT:
        ForEachAttr(a.data, a.len, [&](const Attr& v) {
          if (v.type == NFTA_VERDICT_CODE) {
            if (auto c = Be32(v)) ev.verdict = static_cast<TraceVerdict>(static_cast<int32_t>(*c));
          } else if (v.type == NFTA_VERDICT_CHAIN) {
            ev.jump_target = Str(v);
          }
        });
        break;
      case NFTA_TRACE_NETWORK_HEADER:
        DecodeNetworkHeader(a, ev.packet);
        break;
      case NFTA_TRACE_TRANSPORT_HEADER:
        transport = a;
        break;
      default:
        break;
    }
  });
  if (!ok) return InvalidArgument("trace message: malformed attribute");
  if (transport.data != nullptr) DecodeTransportHeader(transport, ev.packet);
  return ev;
}

std::string VerdictName(TraceVerdict v) {
  switch (v) {
    case TraceVerdict::kDrop:
      return "drop";
    case TraceVerdict::kAccept:
      return "accept";
    case TraceVerdict::kQueue:
      return "queue";
    case TraceVerdict::kContinue:
      return "continue";
    case TraceVerdict::kBreak:
      return "break";
    case TraceVerdict::kJump:
      return "jump";
    case TraceVerdict::kGoto:
      return "goto";
    case TraceVerdict::kReturn:
      return "return";
  }
  return "verdict " + std::to_string(static_cast<int32_t>(v));
}

}  // namespace weft::firewall
