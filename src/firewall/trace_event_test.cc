#include "firewall/trace_event.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cstring>
#include <string>
#include <vector>

namespace weft::firewall {
namespace {

// Builds NFT_MSG_TRACE messages the way the kernel lays them out.
class TraceMsgBuilder {
 public:
  explicit TraceMsgBuilder(uint8_t family) {
    buf_.resize(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)));
    nfgenmsg g{};
    g.nfgen_family = family;
    std::memcpy(buf_.data() + NLMSG_HDRLEN, &g, sizeof g);
  }
  TraceMsgBuilder& Raw(uint16_t type, const void* data, size_t len) {
    nlattr a{static_cast<uint16_t>(NLA_HDRLEN + len), type};
    const size_t at = buf_.size();
    buf_.resize(at + NLA_ALIGN(a.nla_len));
    std::memcpy(buf_.data() + at, &a, sizeof a);
    if (len) std::memcpy(buf_.data() + at + NLA_HDRLEN, data, len);
    return *this;
  }
  TraceMsgBuilder& Str(uint16_t type, const std::string& s) {
    return Raw(type, s.c_str(), s.size() + 1);
  }
  TraceMsgBuilder& U32(uint16_t type, uint32_t v) {
    v = htonl(v);
    return Raw(type, &v, 4);
  }
  TraceMsgBuilder& U64(uint16_t type, uint64_t v) {
    uint8_t b[8];
    for (int i = 7; i >= 0; --i, v >>= 8) b[i] = static_cast<uint8_t>(v);
    return Raw(type, b, 8);
  }
  TraceMsgBuilder& Verdict(int32_t code, const std::string& chain = "") {
    TraceMsgBuilder inner(0);
    inner.U32(NFTA_VERDICT_CODE, static_cast<uint32_t>(code));
    if (!chain.empty()) inner.Str(NFTA_VERDICT_CHAIN, chain);
    const size_t skip = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
    return Raw(NFTA_TRACE_VERDICT | NLA_F_NESTED, inner.buf_.data() + skip,
               inner.buf_.size() - skip);
  }
  std::vector<uint8_t> Done(uint16_t type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_TRACE) {
    nlmsghdr h{};
    h.nlmsg_len = static_cast<uint32_t>(buf_.size());
    h.nlmsg_type = type;
    std::memcpy(buf_.data(), &h, sizeof h);
    return buf_;
  }

 private:
  std::vector<uint8_t> buf_;
};

// An IPv4 header 10.89.0.2 -> 10.89.1.2, protocol TCP, and its ports.
std::vector<uint8_t> Ipv4Header() {
  std::vector<uint8_t> h(20, 0);
  h[0] = 0x45;
  h[9] = 6;
  const uint8_t s[] = {10, 89, 0, 2}, d[] = {10, 89, 1, 2};
  std::memcpy(&h[12], s, 4);
  std::memcpy(&h[16], d, 4);
  return h;
}

TEST(TraceEventTest, DecodesARuleVerdictWithItsPacket) {
  const auto ip = Ipv4Header();
  const uint8_t tcp[] = {0xb0, 0x39, 0x00, 0x50, 0, 0, 0, 0};  // 45113 -> 80
  auto msg = TraceMsgBuilder(1)
                 .Str(NFTA_TRACE_TABLE, "weft")
                 .Str(NFTA_TRACE_CHAIN, "forward")
                 .U32(NFTA_TRACE_ID, 0xdeadbeef)
                 .U32(NFTA_TRACE_TYPE, NFT_TRACETYPE_RULE)
                 .U64(NFTA_TRACE_RULE_HANDLE, 0x1000000007ull)
                 .Verdict(0)  // NF_DROP
                 .U32(NFTA_TRACE_IIF, 5)
                 .U32(NFTA_TRACE_OIF, 6)
                 .U32(NFTA_TRACE_NFPROTO, 2)
                 .Raw(NFTA_TRACE_NETWORK_HEADER, ip.data(), ip.size())
                 .Raw(NFTA_TRACE_TRANSPORT_HEADER, tcp, sizeof tcp)
                 .Done();
  auto ev = DecodeTraceMessage(msg.data(), msg.size());
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(ev->family, 1);
  EXPECT_EQ(ev->table, "weft");
  EXPECT_EQ(ev->chain, "forward");
  EXPECT_EQ(ev->id, 0xdeadbeefu);
  EXPECT_EQ(ev->type, TraceType::kRule);
  ASSERT_TRUE(ev->rule_handle.has_value());
  EXPECT_EQ(*ev->rule_handle, 0x1000000007ull);
  ASSERT_TRUE(ev->verdict.has_value());
  EXPECT_EQ(*ev->verdict, TraceVerdict::kDrop);
  EXPECT_EQ(ev->iif, 5u);
  EXPECT_EQ(ev->oif, 6u);
  EXPECT_EQ(ev->nfproto, 2u);
  EXPECT_EQ(ev->packet.saddr, "10.89.0.2");
  EXPECT_EQ(ev->packet.daddr, "10.89.1.2");
  EXPECT_EQ(ev->packet.sport, 45113);
  EXPECT_EQ(ev->packet.dport, 80);
}

TEST(TraceEventTest, DecodesPolicyAndJumpTargets) {
  auto policy = TraceMsgBuilder(1)
                    .Str(NFTA_TRACE_CHAIN, "prerouting")
                    .U32(NFTA_TRACE_TYPE, NFT_TRACETYPE_POLICY)
                    .U32(NFTA_TRACE_POLICY, 1)
                    .Done();
  auto ev = DecodeTraceMessage(policy.data(), policy.size());
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->type, TraceType::kPolicy);
  ASSERT_TRUE(ev->policy.has_value());
  EXPECT_EQ(*ev->policy, TraceVerdict::kAccept);
  EXPECT_FALSE(ev->rule_handle.has_value());

  auto jump =
      TraceMsgBuilder(1).U32(NFTA_TRACE_TYPE, NFT_TRACETYPE_RULE).Verdict(NFT_JUMP, "ports").Done();
  ev = DecodeTraceMessage(jump.data(), jump.size());
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(*ev->verdict, TraceVerdict::kJump);
  EXPECT_EQ(ev->jump_target, "ports");
  EXPECT_EQ(VerdictName(*ev->verdict), "jump");
}

TEST(TraceEventTest, ReadsTheIcmpEchoIdAsTheSourcePort) {
  auto ip = Ipv4Header();
  ip[9] = 1;  // ICMP
  const uint8_t echo[] = {8, 0, 0, 0, 0xa4, 0x10, 0, 1};
  auto msg = TraceMsgBuilder(1)
                 .Raw(NFTA_TRACE_NETWORK_HEADER, ip.data(), ip.size())
                 .Raw(NFTA_TRACE_TRANSPORT_HEADER, echo, sizeof echo)
                 .Done();
  auto ev = DecodeTraceMessage(msg.data(), msg.size());
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->packet.protocol, 1);
  EXPECT_EQ(ev->packet.sport, 0xa410);
}

TEST(TraceEventTest, RefusesOtherMessagesAndBrokenBytes) {
  auto other = TraceMsgBuilder(1)
                   .Str(NFTA_TRACE_TABLE, "weft")
                   .Done((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE);
  EXPECT_FALSE(DecodeTraceMessage(other.data(), other.size()).ok());

  auto msg = TraceMsgBuilder(1).Str(NFTA_TRACE_TABLE, "weft").Done();
  EXPECT_FALSE(DecodeTraceMessage(msg.data(), 10).ok());  // shorter than its header
  // An attribute claiming more bytes than the message holds.
  auto bad = msg;
  const size_t attr_at = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  bad[attr_at] = 0xff;
  EXPECT_FALSE(DecodeTraceMessage(bad.data(), bad.size()).ok());
  // Unknown attributes are skipped.
  auto unknown = TraceMsgBuilder(1).U32(250, 7).Str(NFTA_TRACE_CHAIN, "forward").Done();
  auto ev = DecodeTraceMessage(unknown.data(), unknown.size());
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->chain, "forward");
}

}  // namespace
}  // namespace weft::firewall
