#pragma once

// The DNS wire format. This is the only place that uses ldns: everything
// else in weft::dns handles queries as `Query` values and answers as bytes.
//
// Thread-safety: every function is safe to call concurrently (each thread
// uses its own scratch buffer).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dns/records.h"

namespace weft::dns {

// Response codes weft sends. kBadVers is an extended (EDNS) code.
enum class Rcode : uint16_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
  kBadVers = 16,
};

inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeNs = 2;
inline constexpr uint16_t kTypeCname = 5;
inline constexpr uint16_t kTypeSoa = 6;
inline constexpr uint16_t kTypePtr = 12;
inline constexpr uint16_t kTypeMx = 15;
inline constexpr uint16_t kTypeTxt = 16;
inline constexpr uint16_t kTypeAaaa = 28;
inline constexpr uint16_t kTypeOpt = 41;
inline constexpr uint16_t kTypeIxfr = 251;
inline constexpr uint16_t kTypeAxfr = 252;
inline constexpr uint16_t kTypeAny = 255;
inline constexpr uint16_t kClassIn = 1;

// The EDNS payload size weft advertises, and the most it sends over UDP
// (DNS flag day 2020).
inline constexpr uint16_t kMaxUdpPayload = 1232;
// The most a response over TCP may hold.
inline constexpr size_t kMaxTcpMessage = 65535;

// A parsed client query.
struct Query {
  uint16_t id = 0;
  uint8_t opcode = 0;
  bool rd = false;
  bool cd = false;
  // When not kNoError the packet was malformed or unsupported: answer with
  // BuildError(query, reject). The fields below may then be unset.
  Rcode reject = Rcode::kNoError;

  bool has_question = false;
  std::string qname;  // lowercase presentation form, no trailing dot; "" = root
  uint16_t qtype = 0;
  uint16_t qclass = 0;

  bool edns = false;
  uint8_t edns_version = 0;
  bool dnssec_ok = false;
  uint16_t edns_udp_size = 0;  // as sent; 0 without EDNS
  // The largest response this client accepts: 512 without EDNS, the EDNS
  // size clamped to [512, kMaxUdpPayload] with it. A TCP server sets it to
  // kMaxTcpMessage before building answers.
  size_t max_response_size = 512;

  // The question name as received (case kept), uncompressed wire form.
  std::array<uint8_t, 255> qname_wire{};
  uint8_t qname_wire_len = 0;
};

// Parses a query. Fails (kInvalidArgument: drop the packet, send nothing)
// when there is no id to answer (< 2 bytes) or the packet is a response
// (QR set). Otherwise returns a Query, whose `reject` says FORMERR
// (malformed, truncated, QDCOUNT != 1), NOTIMP (opcode not QUERY) or
// BADVERS (EDNS version > 0).
Result<Query> ParseQuery(std::span<const uint8_t> packet);

// An authoritative NOERROR answer to `query`: one A or AAAA record per
// address (the record type follows each address's size), starting at
// addresses[rotate_offset % n] and wrapping around. No addresses = NODATA.
// If the answer exceeds query.max_response_size, the answer is sent empty
// with TC set, so the client retries over TCP.
std::vector<uint8_t> BuildAnswer(const Query& query, std::span<const IpAddress> addresses,
                                 uint32_t ttl, size_t rotate_offset);
// Same with textual addresses; unparsable ones are skipped.
std::vector<uint8_t> BuildAnswer(const Query& query, const std::vector<std::string>& addresses,
                                 uint32_t ttl, size_t rotate_offset);
// An authoritative answer with one PTR record pointing at `target`
// (presentation form, e.g. "web.front").
std::vector<uint8_t> BuildPtr(const Query& query, std::string_view target, uint32_t ttl);
// An error response: header, the question if parsed, OPT if the client
// sent EDNS. kNxDomain is sent authoritative.
std::vector<uint8_t> BuildError(const Query& query, Rcode rcode);

// A recursive query for query's question with id `id`, EDNS payload
// kMaxUdpPayload, as weft sends it upstream.
std::vector<uint8_t> BuildUpstreamQuery(const Query& query, uint16_t id);

// What the cache and the upstream client need to know about a response.
struct ResponseInfo {
  uint16_t id = 0;
  bool qr = false;
  bool tc = false;
  Rcode rcode = Rcode::kNoError;
  bool has_question = false;
  std::string qname;  // lowercase, no trailing dot
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  // How long the response may be cached (RFC 2308), or nullopt if it must
  // not be: positive answers live for the smallest answer TTL; NXDOMAIN and
  // NODATA for min(SOA TTL, SOA MINIMUM) of the authority SOA and are not
  // cached without one; truncated responses and other rcodes are not cached.
  std::optional<uint32_t> cache_ttl;
  bool negative = false;  // NXDOMAIN or NODATA
};

// Fails with kInvalidArgument on a malformed packet.
Result<ResponseInfo> InspectResponse(std::span<const uint8_t> response);

// Turns an upstream (possibly cached) response into the answer for
// `query`: its id, its question name spelling, RD from the query, every TTL
// reduced by `age_seconds` (not below 0), OPT only if the client sent
// EDNS, truncated (TC, empty sections) past query.max_response_size.
// Fails with kInvalidArgument on a malformed response.
Result<std::vector<uint8_t>> AdaptResponse(std::span<const uint8_t> response, const Query& query,
                                           uint32_t age_seconds);

// A readable view of a whole message, for tests, tools and the fuzzer.
struct Record {
  std::string name;  // presentation form with trailing dot, as in the packet
  uint16_t type = 0;
  uint16_t rclass = kClassIn;
  uint32_t ttl = 0;
  std::string rdata;  // presentation form, e.g. "10.0.0.2" or a SOA's fields
};
struct Message {
  uint16_t id = 0;
  bool qr = false, aa = false, tc = false, rd = false, ra = false;
  uint8_t opcode = 0;
  uint16_t rcode = 0;  // including the EDNS extended bits
  bool edns = false;
  uint16_t edns_udp_size = 0;
  std::vector<Record> question, answer, authority, additional;  // no OPT
};

// Fails with kInvalidArgument on a malformed packet.
Result<Message> DecodeMessage(std::span<const uint8_t> packet);
// Encodes `message` (records from their presentation form; OPT from the
// edns fields). Fails with kInvalidArgument on a record ldns rejects.
Result<std::vector<uint8_t>> EncodeMessage(const Message& message);

}  // namespace weft::dns
