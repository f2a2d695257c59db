// libFuzzer target for the DNS wire format: feeds arbitrary bytes to the
// query parser and, through every answer builder, back out; and treats
// them as an upstream response for the cache/forwarding path. Every built
// packet must parse back. Not part of the weft_dns library (*_fuzz.cc).

#include <cstdint>
#include <cstdlib>
#include <span>

#include "dns/records.h"
#include "dns/wire.h"

namespace {

using weft::IpAddress;
using weft::dns::Query;

void MustDecode(const std::vector<uint8_t>& bytes) {
  if (bytes.empty()) return;  // only on allocation failure
  if (!weft::dns::DecodeMessage(bytes).ok()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);

  auto q = weft::dns::ParseQuery(bytes);
  if (q.ok()) {
    Query query = *q;
    MustDecode(weft::dns::BuildError(query, query.reject == weft::dns::Rcode::kNoError
                                                ? weft::dns::Rcode::kServFail
                                                : query.reject));
    if (query.reject == weft::dns::Rcode::kNoError) {
      static const IpAddress kAddresses[] = {*weft::IpAddress::Parse("10.0.0.2"),
                                             *weft::IpAddress::Parse("10.0.0.3"),
                                             *weft::IpAddress::Parse("fd00::2")};
      size_t n = size % 4;  // 0..3 addresses: NODATA through a full answer
      MustDecode(weft::dns::BuildAnswer(query, std::span(kAddresses, n), 5, size));
      MustDecode(weft::dns::BuildPtr(query, "web1.front", 5));
      MustDecode(weft::dns::BuildUpstreamQuery(query, 0x4242));
      query.max_response_size = weft::dns::kMaxTcpMessage;
      MustDecode(weft::dns::BuildAnswer(query, std::span(kAddresses, n), 5, 0));
      // The input as an upstream response to its own question.
      auto adapted = weft::dns::AdaptResponse(bytes, query, static_cast<uint32_t>(size));
      if (adapted.ok()) MustDecode(*adapted);
    }
  }

  auto info = weft::dns::InspectResponse(bytes);
  auto message = weft::dns::DecodeMessage(bytes);
  if (info.ok() != message.ok()) std::abort();
  return 0;
}
