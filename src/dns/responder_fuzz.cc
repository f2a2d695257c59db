// libFuzzer target for the whole of what weftd does with a query packet:
// Responder::Handle with a zone of container names (scoping, aliases,
// NAME.NETWORK, reverse names, the answer memo, rotation), as a UDP and as a
// TCP client, from a container's address and from an unknown one. Every
// reply must parse back and answer the same id. No upstream is configured,
// so nothing leaves the process. Not part of the weft_dns library.

#include <cstdint>
#include <cstdlib>
#include <span>

#include "dns/asio.h"
#include "dns/responder.h"
#include "dns/wire.h"
#include "dns/zone.h"

namespace {

using weft::dns::Responder;

Responder& TheResponder() {
  static asio::io_context io;
  static Responder* r = [] {
    auto* responder = new Responder(io, Responder::Options{});
    auto zone = weft::dns::Zone::Build({
        {"web1", "front", {"web1", "web"}, "10.89.0.2", "fd89::2"},
        {"web2", "front", {"web2", "web"}, "10.89.0.3", ""},
        {"db", "back", {"db", "store"}, "10.89.1.2", "fd89:1::2"},
        {"both", "front", {"both"}, "10.89.0.9", ""},
        {"both", "back", {"both"}, "10.89.1.9", ""},
    });
    if (!zone.ok()) std::abort();
    responder->PublishZone(*zone);
    return responder;
  }();
  return *r;
}

void Check(std::span<const uint8_t> packet, const std::vector<uint8_t>& reply) {
  if (reply.empty()) return;
  auto m = weft::dns::DecodeMessage(reply);
  if (!m.ok()) std::abort();
  if (packet.size() >= 2 && m->id != ((packet[0] << 8) | packet[1])) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Responder& r = TheResponder();
  std::span<const uint8_t> packet(data, size);
  static const weft::IpAddress kClients[] = {*weft::IpAddress::Parse("10.89.0.2"),
                                             *weft::IpAddress::Parse("10.89.1.9"),
                                             *weft::IpAddress::Parse("192.0.2.1")};
  weft::dns::Query query;
  std::vector<uint8_t> reply;
  for (const auto& address : kClients) {
    for (bool tcp : {false, true}) {
      for (std::string_view network : {"front", ""}) {
        Responder::Client client{network, address, tcp};
        reply.clear();
        auto outcome = r.Handle(packet, client, &query, &reply);
        // With no upstream nothing may wait for one.
        if (outcome == Responder::Outcome::kForward) std::abort();
        if (outcome == Responder::Outcome::kReply) Check(packet, reply);
      }
    }
  }
  return 0;
}
