#pragma once

#include <sys/socket.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "dns/asio.h"
#include "dns/responder.h"

namespace weft::dns {

// Answers DNS over one bound UDP socket. When the socket is readable it
// reads queued datagrams in batches with recvmmsg(2) and sends the batch's
// replies with one sendmmsg(2), so under load the syscall and wakeup cost
// is shared by up to kBatch queries. Sends never block: if the socket
// buffer is full, the rest of the batch is dropped (clients retry).
// Datagrams longer than kMaxQuery bytes are answered FORMERR (queries are
// far smaller).
//
// Thread-safety: not thread-safe; create anywhere, then use only on the
// io_context thread. Keeps itself alive (shared_from_this) while a wait is
// pending; Close() ends that.
class UdpListener : public std::enable_shared_from_this<UdpListener> {
 public:
  static constexpr int kBatch = 32;
  static constexpr size_t kMaxQuery = 4096;

  // `network`: lowercase network name for scoping ("" for none).
  UdpListener(asio::ip::udp::socket socket, std::string network,
              std::shared_ptr<Responder> responder);

  void Start();
  void Close();

 private:
  struct Slot {
    std::array<uint8_t, kMaxQuery> buffer;
    sockaddr_storage from;
  };

  void Wait();
  void Drain();
  // Handles the datagram in slot i; appends a reply to the send batch.
  void HandleSlot(int i, size_t length, int* replies);
  void Send(const std::vector<uint8_t>& reply, const asio::ip::udp::endpoint& to);

  asio::ip::udp::socket socket_;
  std::string network_;
  std::shared_ptr<Responder> responder_;
  Query query_;  // reused
  std::vector<Slot> slots_;
  std::array<mmsghdr, kBatch> in_{};
  std::array<iovec, kBatch> in_iov_{};
  std::array<std::vector<uint8_t>, kBatch> replies_;
  std::array<mmsghdr, kBatch> out_{};
  std::array<iovec, kBatch> out_iov_{};
};

}  // namespace weft::dns
