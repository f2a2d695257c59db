#include "dns/udp_listener.h"

#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace weft::dns {
namespace {

// Batches handled per wakeup before yielding to other handlers.
constexpr int kRounds = 8;

IpAddress FromSockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
    return IpAddress::FromBytes(AF_INET6, reinterpret_cast<const uint8_t*>(&sin6.sin6_addr))
        .Unmapped();
  }
  const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
  return IpAddress::FromBytes(AF_INET, reinterpret_cast<const uint8_t*>(&sin.sin_addr));
}

}  // namespace

UdpListener::UdpListener(asio::ip::udp::socket socket, std::string network,
                         std::shared_ptr<Responder> responder)
    : socket_(std::move(socket)),
      network_(std::move(network)),
      responder_(std::move(responder)),
      slots_(kBatch) {}

void UdpListener::Start() {
  asio::error_code ignored;
  socket_.non_blocking(true, ignored);
  Wait();
}

void UdpListener::Close() {
  asio::error_code ignored;
  socket_.close(ignored);
}

void UdpListener::Wait() {
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       if (!self->socket_.is_open() || ec == asio::error::operation_aborted) return;
                       self->Drain();
                       self->Wait();
                     });
}

void UdpListener::Drain() {
  const int fd = socket_.native_handle();
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kBatch; ++i) {
      in_iov_[i] = {slots_[i].buffer.data(), slots_[i].buffer.size()};
      in_[i].msg_hdr = {};
      in_[i].msg_hdr.msg_name = &slots_[i].from;
      in_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      in_[i].msg_hdr.msg_iov = &in_iov_[i];
      in_[i].msg_hdr.msg_iovlen = 1;
    }
    int n = ::recvmmsg(fd, in_.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      // EAGAIN: drained. Other errors (ECONNREFUSED left by an ICMP error)
      // concern one earlier datagram only: try again on the next wakeup.
      return;
    }
    int replies = 0;
    for (int i = 0; i < n; ++i) {
      size_t length = in_[i].msg_len;
      if (in_[i].msg_hdr.msg_flags & MSG_TRUNC) length = 2;  // id only: FORMERR
      HandleSlot(i, length, &replies);
    }
    for (int sent = 0; sent < replies;) {
      int r = ::sendmmsg(fd, out_.data() + sent, replies - sent, MSG_DONTWAIT);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
          ++sent;  // skip the failing reply
        else
          break;  // buffer full: drop the rest
        continue;
      }
      sent += r;
    }
    if (n < kBatch) return;
  }
}

void UdpListener::HandleSlot(int i, size_t length, int* replies) {
  Slot& slot = slots_[i];
  Responder::Client client{network_, FromSockaddr(slot.from), /*tcp=*/false};
  std::vector<uint8_t>& reply = replies_[*replies];
  switch (responder_->Handle(std::span<const uint8_t>(slot.buffer.data(), length), client, &query_,
                             &reply)) {
    case Responder::Outcome::kDrop:
      return;
    case Responder::Outcome::kReply: {
      if (reply.empty()) return;
      mmsghdr& m = out_[*replies];
      out_iov_[*replies] = {reply.data(), reply.size()};
      m.msg_hdr = {};
      m.msg_hdr.msg_name = &slot.from;
      m.msg_hdr.msg_namelen = in_[i].msg_hdr.msg_namelen;
      m.msg_hdr.msg_iov = &out_iov_[*replies];
      m.msg_hdr.msg_iovlen = 1;
      ++*replies;
      return;
    }
    case Responder::Outcome::kForward: {
      asio::ip::udp::endpoint to;
      std::memcpy(to.data(), &slot.from, in_[i].msg_hdr.msg_namelen);
      to.resize(in_[i].msg_hdr.msg_namelen);
      // Weak: a pending forward must not keep a closed listener alive.
      responder_->Forward(query_, [weak = weak_from_this(), to](const std::vector<uint8_t>& r) {
        auto self = weak.lock();
        if (self && !r.empty() && self->socket_.is_open()) self->Send(r, to);
      });
      return;
    }
  }
}

void UdpListener::Send(const std::vector<uint8_t>& reply, const asio::ip::udp::endpoint& to) {
  asio::error_code ignored;  // would_block: dropped, the client retries
  socket_.send_to(asio::buffer(reply), to, 0, ignored);
}

}  // namespace weft::dns
