#include "core/trace_probe.h"

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "kernel/netns/netns_guard.h"

namespace weft::core {
namespace {

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = 0;
};

Result<SockAddr> MakeSockAddr(const std::string& addr, uint16_t port) {
  SockAddr s;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&s.ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&s.ss);
  if (inet_pton(AF_INET, addr.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    s.len = sizeof(sockaddr_in);
    s.family = AF_INET;
  } else if (inet_pton(AF_INET6, addr.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    s.len = sizeof(sockaddr_in6);
    s.family = AF_INET6;
  } else {
    return InvalidArgument("not an address: \"" + addr + "\"");
  }
  return s;
}

uint16_t Checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

uint16_t PickProbeId() {
  std::random_device rd;
  return static_cast<uint16_t>(40000 + rd() % 20000);
}

Result<Probe> Probe::Open(int netns_fd, const ProbeSpec& spec) {
  WEFT_ASSIGN_OR_RETURN(SockAddr dst, MakeSockAddr(spec.dst, spec.port));
  auto open = [&]() -> Result<UniqueFd> {
    int type = SOCK_DGRAM, proto = 0;
    if (spec.protocol == "tcp") {
      type = SOCK_STREAM;
    } else if (spec.protocol == "icmp") {
      type = SOCK_RAW;
      proto =
          dst.family == AF_INET ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6);
    }
    UniqueFd fd(socket(dst.family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, proto));
    if (!fd.valid()) return StatusFromErrno("probe socket", errno);
    if (type != SOCK_RAW) {
      int one = 1;
      setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      SockAddr src;
      src.ss.ss_family = static_cast<sa_family_t>(dst.family);
      if (dst.family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&src.ss)->sin_port = htons(spec.id);
        src.len = sizeof(sockaddr_in);
      } else {
        reinterpret_cast<sockaddr_in6*>(&src.ss)->sin6_port = htons(spec.id);
        src.len = sizeof(sockaddr_in6);
      }
      if (bind(fd.get(), reinterpret_cast<sockaddr*>(&src.ss), src.len) != 0) {
        return StatusFromErrno("bind probe source port " + std::to_string(spec.id), errno);
      }
    }
    return fd;
  };
  Result<UniqueFd> fd = netns_fd >= 0 ? netns::RunInNetns(netns_fd, open) : open();
  if (!fd.ok()) return fd.status();
  return Probe(std::move(*fd), spec, dst.family);
}

Status Probe::Send() {
  WEFT_ASSIGN_OR_RETURN(SockAddr dst, MakeSockAddr(spec_.dst, spec_.port));
  auto* sa = reinterpret_cast<sockaddr*>(&dst.ss);
  if (spec_.protocol == "tcp") {
    // A SYN; a linger of 0 makes close() answer a SYN-ACK with a RST.
    linger l{1, 0};
    setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    if (connect(fd_.get(), sa, dst.len) != 0 && errno != EINPROGRESS) {
      return StatusFromErrno("send the probe (tcp connect)", errno);
    }
    return Status::Ok();
  }
  if (spec_.protocol == "udp") {
    if (connect(fd_.get(), sa, dst.len) != 0) return StatusFromErrno("probe connect", errno);
    static const char kPayload[] = "weft trace probe";
    if (send(fd_.get(), kPayload, sizeof kPayload - 1, 0) < 0) {
      return StatusFromErrno("send the probe (udp)", errno);
    }
    return Status::Ok();
  }
  // ICMP echo request: type, code, checksum, id, sequence, payload. For
  // ICMPv6 the kernel fills in the checksum.
  uint8_t pkt[24] = {};
  pkt[0] = family_ == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
  pkt[4] = static_cast<uint8_t>(spec_.id >> 8);
  pkt[5] = static_cast<uint8_t>(spec_.id & 0xff);
  pkt[7] = 1;
  std::memcpy(pkt + 8, "weft trace probe", 16);
  if (family_ == AF_INET) {
    const uint16_t sum = Checksum(pkt, sizeof pkt);
    pkt[2] = static_cast<uint8_t>(sum >> 8);
    pkt[3] = static_cast<uint8_t>(sum & 0xff);
  }
  if (sendto(fd_.get(), pkt, sizeof pkt, 0, sa, dst.len) < 0) {
    return StatusFromErrno("send the probe (icmp echo)", errno);
  }
  return Status::Ok();
}

ProbeOutcome Probe::Wait(int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return ProbeOutcome::kNoAnswer;
    pollfd p{fd_.get(), static_cast<short>(spec_.protocol == "tcp" ? POLLOUT : POLLIN), 0};
    const int n = poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) return ProbeOutcome::kNoAnswer;
    if (n <= 0) return ProbeOutcome::kNoAnswer;
    int err = 0;
    socklen_t len = sizeof err;
    if (spec_.protocol == "tcp") {
      getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) return ProbeOutcome::kAnswered;
      return err == ECONNREFUSED ? ProbeOutcome::kRefused : ProbeOutcome::kUnreachable;
    }
    uint8_t buf[1500];
    const ssize_t got = recv(fd_.get(), buf, sizeof buf, 0);
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return errno == ECONNREFUSED ? ProbeOutcome::kRefused : ProbeOutcome::kUnreachable;
    }
    if (spec_.protocol == "udp") return ProbeOutcome::kAnswered;
    // A raw ICMP socket sees every ICMP message: keep only our echo reply
    // (IPv4 raw sockets include the IP header; IPv6 ones do not).
    size_t off = 0;
    if (family_ == AF_INET) off = static_cast<size_t>(buf[0] & 0x0f) * 4;
    if (static_cast<size_t>(got) < off + 8) continue;
    const uint8_t* icmp = buf + off;
    const uint16_t id = static_cast<uint16_t>(icmp[4] << 8 | icmp[5]);
    const bool reply = family_ == AF_INET ? icmp[0] == ICMP_ECHOREPLY : icmp[0] == ICMP6_ECHO_REPLY;
    if (reply && id == spec_.id) return ProbeOutcome::kAnswered;
    const bool unreach =
        family_ == AF_INET ? icmp[0] == ICMP_DEST_UNREACH : icmp[0] == ICMP6_DST_UNREACH;
    if (unreach && static_cast<size_t>(got) >= off + 8 + 28) {
      // The quoted packet's echo id says whether it is about our probe.
      const uint8_t* quoted = icmp + 8;
      const size_t qoff = family_ == AF_INET ? static_cast<size_t>(quoted[0] & 0x0f) * 4 : 40;
      if (static_cast<size_t>(got) >= off + 8 + qoff + 6 &&
          static_cast<uint16_t>(quoted[qoff + 4] << 8 | quoted[qoff + 5]) == spec_.id) {
        return ProbeOutcome::kUnreachable;
      }
    }
  }
}

}  // namespace weft::core
