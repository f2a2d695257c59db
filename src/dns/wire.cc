#include "dns/wire.h"

#include <ldns/ldns.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace weft::dns {
namespace {

struct PktDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct RrDeleter {
  void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
struct BufferDeleter {
  void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
};
struct MallocDeleter {
  void operator()(char* p) const { std::free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;
using RrPtr = std::unique_ptr<ldns_rr, RrDeleter>;
using BufferPtr = std::unique_ptr<ldns_buffer, BufferDeleter>;
using CStrPtr = std::unique_ptr<char, MallocDeleter>;

// Per-thread scratch buffers, reused so the hot path does not allocate one
// per packet. Each is cleared by its getter; never hold one across a call
// to the same getter.
ldns_buffer* WireScratch() {
  thread_local BufferPtr buf(ldns_buffer_new(4096));
  if (!buf) std::abort();
  ldns_buffer_clear(buf.get());
  return buf.get();
}
ldns_buffer* TextScratch() {
  thread_local BufferPtr buf(ldns_buffer_new(512));
  if (!buf) std::abort();
  ldns_buffer_clear(buf.get());
  return buf.get();
}

PktPtr ParsePacket(std::span<const uint8_t> bytes) {
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, bytes.data(), bytes.size()) != LDNS_STATUS_OK) return nullptr;
  return PktPtr(raw);
}

// "Web.Front." -> "web.front"; "." -> "".
std::string LowerName(const ldns_rdf* dname) {
  ldns_buffer* b = TextScratch();
  if (ldns_rdf2buffer_str_dname(b, dname) != LDNS_STATUS_OK) return "";
  std::string s(reinterpret_cast<const char*>(ldns_buffer_begin(b)), ldns_buffer_position(b));
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string Text(const ldns_rdf* rdf) {
  CStrPtr s(ldns_rdf2str(rdf));
  return s ? std::string(s.get()) : std::string();
}

ldns_rdf* QueryName(const Query& q) {
  return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, q.qname_wire_len, q.qname_wire.data());
}

ldns_rr_list* const* SectionsOf(ldns_pkt* p, ldns_rr_list* out[3]) {
  out[0] = ldns_pkt_answer(p);
  out[1] = ldns_pkt_authority(p);
  out[2] = ldns_pkt_additional(p);
  return out;
}

// Drops answer, authority and additional records (OPT is kept: it lives in
// the packet's EDNS fields).
void ClearSections(ldns_pkt* p) {
  ldns_rr_list_deep_free(ldns_pkt_answer(p));
  ldns_rr_list_deep_free(ldns_pkt_authority(p));
  ldns_rr_list_deep_free(ldns_pkt_additional(p));
  ldns_pkt_set_answer(p, ldns_rr_list_new());
  ldns_pkt_set_authority(p, ldns_rr_list_new());
  ldns_pkt_set_additional(p, ldns_rr_list_new());
  ldns_pkt_set_ancount(p, 0);
  ldns_pkt_set_nscount(p, 0);
  ldns_pkt_set_arcount(p, 0);
}

// Sets the OPT record the client gets: present iff it sent EDNS.
void SetClientEdns(ldns_pkt* p, const Query& q, uint8_t extended_rcode) {
  ldns_rdf_deep_free(ldns_pkt_edns_data(p));
  ldns_pkt_set_edns_data(p, nullptr);
  ldns_pkt_set_edns_option_list(p, nullptr);
  ldns_pkt_set_edns_version(p, 0);
  ldns_pkt_set_edns_z(p, 0);
  // ldns has no setter for "OPT present"; the struct is public API.
  p->_edns_present = q.edns ? 1 : 0;
  ldns_pkt_set_edns_udp_size(p, q.edns ? kMaxUdpPayload : 0);
  ldns_pkt_set_edns_extended_rcode(p, q.edns ? extended_rcode : 0);
}

// A reply skeleton: header copied from the query, the question, OPT.
PktPtr NewReply(const Query& q, Rcode rcode, bool aa) {
  PktPtr p(ldns_pkt_new());
  if (!p) std::abort();
  ldns_pkt_set_id(p.get(), q.id);
  ldns_pkt_set_qr(p.get(), true);
  ldns_pkt_set_opcode(p.get(), static_cast<ldns_pkt_opcode>(q.opcode));
  ldns_pkt_set_rd(p.get(), q.rd);
  ldns_pkt_set_cd(p.get(), q.cd);
  ldns_pkt_set_ra(p.get(), true);
  ldns_pkt_set_aa(p.get(), aa);
  uint16_t rc = static_cast<uint16_t>(rcode);
  if (rc > 15 && !q.edns) rc = static_cast<uint16_t>(Rcode::kServFail);
  ldns_pkt_set_rcode(p.get(), static_cast<uint8_t>(rc & 0xf));
  SetClientEdns(p.get(), q, static_cast<uint8_t>(rc >> 4));
  if (q.has_question) {
    ldns_rr* rr = ldns_rr_new();
    ldns_rr_set_owner(rr, QueryName(q));
    ldns_rr_set_type(rr, static_cast<ldns_rr_type>(q.qtype));
    ldns_rr_set_class(rr, static_cast<ldns_rr_class>(q.qclass));
    ldns_rr_set_question(rr, true);
    ldns_pkt_push_rr(p.get(), LDNS_SECTION_QUESTION, rr);
  }
  return p;
}

// Serialises `p`; past `max_size`, drops the sections and sets TC.
// Returns empty bytes if ldns fails (out of memory, bad record).
std::vector<uint8_t> Finish(ldns_pkt* p, size_t max_size) {
  ldns_buffer* b = WireScratch();
  if (ldns_pkt2buffer_wire(b, p) != LDNS_STATUS_OK) return {};
  if (ldns_buffer_position(b) > max_size) {
    ClearSections(p);
    ldns_pkt_set_tc(p, true);
    ldns_buffer_clear(b);
    if (ldns_pkt2buffer_wire(b, p) != LDNS_STATUS_OK) return {};
  }
  const uint8_t* begin = ldns_buffer_begin(b);
  return std::vector<uint8_t>(begin, begin + ldns_buffer_position(b));
}

Record ToRecord(const ldns_rr* rr) {
  Record r;
  r.name = Text(ldns_rr_owner(rr));
  r.type = ldns_rr_get_type(rr);
  r.rclass = ldns_rr_get_class(rr);
  r.ttl = ldns_rr_ttl(rr);
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    if (i) r.rdata += ' ';
    r.rdata += Text(ldns_rr_rdf(rr, i));
  }
  return r;
}

std::vector<Record> ToRecords(const ldns_rr_list* list) {
  std::vector<Record> out;
  for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i)
    out.push_back(ToRecord(ldns_rr_list_rr(list, i)));
  return out;
}

std::string TypeName(uint16_t type) {
  CStrPtr s(ldns_rr_type2str(static_cast<ldns_rr_type>(type)));
  return s ? s.get() : "";
}
std::string ClassName(uint16_t rclass) {
  CStrPtr s(ldns_rr_class2str(static_cast<ldns_rr_class>(rclass)));
  return s ? s.get() : "";
}

}  // namespace

Result<Query> ParseQuery(std::span<const uint8_t> packet) {
  if (packet.size() < 2) return InvalidArgument("dns packet shorter than an id");
  Query q;
  q.id = LDNS_ID_WIRE(packet.data());
  if (packet.size() < LDNS_HEADER_SIZE) {
    q.reject = Rcode::kFormErr;
    return q;
  }
  if (LDNS_QR_WIRE(packet.data())) return InvalidArgument("dns packet is a response");
  q.opcode = LDNS_OPCODE_WIRE(packet.data());
  q.rd = LDNS_RD_WIRE(packet.data()) != 0;
  q.cd = LDNS_CD_WIRE(packet.data()) != 0;
  if (q.opcode != LDNS_PACKET_QUERY) {
    q.reject = Rcode::kNotImp;
    return q;
  }
  PktPtr p = ParsePacket(packet);
  if (!p || ldns_pkt_qdcount(p.get()) != 1) {
    q.reject = Rcode::kFormErr;
    return q;
  }
  const ldns_rr* qrr = ldns_rr_list_rr(ldns_pkt_question(p.get()), 0);
  const ldns_rdf* owner = ldns_rr_owner(qrr);
  if (owner == nullptr || ldns_rdf_size(owner) > q.qname_wire.size()) {
    q.reject = Rcode::kFormErr;
    return q;
  }
  q.has_question = true;
  q.qname_wire_len = static_cast<uint8_t>(ldns_rdf_size(owner));
  std::copy_n(ldns_rdf_data(owner), q.qname_wire_len, q.qname_wire.begin());
  q.qname = LowerName(owner);
  q.qtype = ldns_rr_get_type(qrr);
  q.qclass = ldns_rr_get_class(qrr);
  if (ldns_pkt_edns(p.get())) {
    q.edns = true;
    q.edns_version = ldns_pkt_edns_version(p.get());
    q.dnssec_ok = ldns_pkt_edns_do(p.get());
    q.edns_udp_size = ldns_pkt_edns_udp_size(p.get());
    q.max_response_size = std::clamp<size_t>(q.edns_udp_size, 512, kMaxUdpPayload);
    if (q.edns_version != 0) q.reject = Rcode::kBadVers;
  }
  return q;
}

std::vector<uint8_t> BuildAnswer(const Query& query, std::span<const IpAddress> addresses,
                                 uint32_t ttl, size_t rotate_offset) {
  PktPtr p = NewReply(query, Rcode::kNoError, /*aa=*/true);
  const size_t n = addresses.size();
  for (size_t i = 0; i < n; ++i) {
    const IpAddress& ip = addresses[(i + rotate_offset) % n];
    ldns_rr* rr = ldns_rr_new();
    ldns_rr_set_owner(rr, QueryName(query));
    ldns_rr_set_type(rr, ip.is_v4() ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA);
    ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
    ldns_rr_set_ttl(rr, ttl);
    ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(ip.is_v4() ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
                                               ip.size(), ip.bytes().data()));
    ldns_pkt_push_rr(p.get(), LDNS_SECTION_ANSWER, rr);
  }
  return Finish(p.get(), query.max_response_size);
}

std::vector<uint8_t> BuildAnswer(const Query& query, const std::vector<std::string>& addresses,
                                 uint32_t ttl, size_t rotate_offset) {
  std::vector<IpAddress> ips;
  for (const std::string& a : addresses) {
    if (auto ip = IpAddress::Parse(a); ip.ok()) ips.push_back(ip->Unmapped());
  }
  return BuildAnswer(query, ips, ttl, rotate_offset);
}

std::vector<uint8_t> BuildPtr(const Query& query, std::string_view target, uint32_t ttl) {
  std::string name(target);
  if (name.empty() || name.back() != '.') name += '.';
  ldns_rdf* dname = ldns_dname_new_frm_str(name.c_str());
  if (dname == nullptr) return BuildError(query, Rcode::kServFail);
  PktPtr p = NewReply(query, Rcode::kNoError, /*aa=*/true);
  ldns_rr* rr = ldns_rr_new();
  ldns_rr_set_owner(rr, QueryName(query));
  ldns_rr_set_type(rr, LDNS_RR_TYPE_PTR);
  ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
  ldns_rr_set_ttl(rr, ttl);
  ldns_rr_push_rdf(rr, dname);
  ldns_pkt_push_rr(p.get(), LDNS_SECTION_ANSWER, rr);
  return Finish(p.get(), query.max_response_size);
}

std::vector<uint8_t> BuildError(const Query& query, Rcode rcode) {
  PktPtr p = NewReply(query, rcode, /*aa=*/rcode == Rcode::kNxDomain);
  return Finish(p.get(), query.max_response_size);
}

std::vector<uint8_t> BuildUpstreamQuery(const Query& query, uint16_t id) {
  PktPtr p(ldns_pkt_new());
  if (!p) std::abort();
  ldns_pkt_set_id(p.get(), id);
  ldns_pkt_set_opcode(p.get(), LDNS_PACKET_QUERY);
  ldns_pkt_set_rd(p.get(), true);
  ldns_pkt_set_cd(p.get(), query.cd);
  ldns_pkt_set_edns_udp_size(p.get(), kMaxUdpPayload);
  ldns_rr* rr = ldns_rr_new();
  ldns_rr_set_owner(rr, QueryName(query));
  ldns_rr_set_type(rr, static_cast<ldns_rr_type>(query.qtype));
  ldns_rr_set_class(rr, static_cast<ldns_rr_class>(query.qclass));
  ldns_rr_set_question(rr, true);
  ldns_pkt_push_rr(p.get(), LDNS_SECTION_QUESTION, rr);
  return Finish(p.get(), kMaxTcpMessage);
}

Result<ResponseInfo> InspectResponse(std::span<const uint8_t> response) {
  PktPtr p = ParsePacket(response);
  if (!p) return InvalidArgument("malformed dns response");
  ResponseInfo info;
  info.id = ldns_pkt_id(p.get());
  info.qr = ldns_pkt_qr(p.get());
  info.tc = ldns_pkt_tc(p.get());
  info.rcode = static_cast<Rcode>((ldns_pkt_edns_extended_rcode(p.get()) << 4) |
                                  ldns_pkt_get_rcode(p.get()));
  if (ldns_pkt_qdcount(p.get()) == 1) {
    const ldns_rr* qrr = ldns_rr_list_rr(ldns_pkt_question(p.get()), 0);
    info.has_question = true;
    info.qname = LowerName(ldns_rr_owner(qrr));
    info.qtype = ldns_rr_get_type(qrr);
    info.qclass = ldns_rr_get_class(qrr);
  }
  if (info.tc || !info.has_question) return info;
  const ldns_rr_list* answer = ldns_pkt_answer(p.get());
  const size_t ancount = ldns_rr_list_rr_count(answer);
  if (info.rcode == Rcode::kNoError && ancount > 0) {
    uint32_t ttl = UINT32_MAX;
    for (size_t i = 0; i < ancount; ++i)
      ttl = std::min(ttl, ldns_rr_ttl(ldns_rr_list_rr(answer, i)));
    info.cache_ttl = ttl;
  } else if (info.rcode == Rcode::kNxDomain || info.rcode == Rcode::kNoError) {
    info.negative = true;
    const ldns_rr_list* auth = ldns_pkt_authority(p.get());
    for (size_t i = 0; i < ldns_rr_list_rr_count(auth); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(auth, i);
      if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) < 7) continue;
      const ldns_rdf* minimum = ldns_rr_rdf(rr, 6);
      if (ldns_rdf_size(minimum) != 4) continue;
      info.cache_ttl = std::min(ldns_rr_ttl(rr), ldns_rdf2native_int32(minimum));
      break;
    }
  }
  return info;
}

Result<std::vector<uint8_t>> AdaptResponse(std::span<const uint8_t> response, const Query& query,
                                           uint32_t age_seconds) {
  PktPtr p = ParsePacket(response);
  if (!p) return InvalidArgument("malformed dns response");
  ldns_pkt* pkt = p.get();
  ldns_pkt_set_id(pkt, query.id);
  ldns_pkt_set_rd(pkt, query.rd);
  ldns_pkt_set_qr(pkt, true);
  // Give the client its own spelling of the name (0x20 clients check it).
  if (query.has_question && ldns_rr_list_rr_count(ldns_pkt_question(pkt)) == 1) {
    ldns_rr* qrr = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
    ldns_rdf* old_owner = ldns_rr_owner(qrr);
    ldns_rdf* answer_name = QueryName(query);
    ldns_rr_list* answer = ldns_pkt_answer(pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(answer); ++i) {
      ldns_rr* rr = ldns_rr_list_rr(answer, i);
      if (ldns_dname_compare(ldns_rr_owner(rr), answer_name) == 0) {
        ldns_rdf_deep_free(ldns_rr_owner(rr));
        ldns_rr_set_owner(rr, ldns_rdf_clone(answer_name));
      }
    }
    ldns_rr_set_owner(qrr, answer_name);
    ldns_rdf_deep_free(old_owner);
  }
  ldns_rr_list* sections[3];
  for (ldns_rr_list* list : std::span(SectionsOf(pkt, sections), 3)) {
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
      ldns_rr* rr = ldns_rr_list_rr(list, i);
      uint32_t ttl = ldns_rr_ttl(rr);
      ldns_rr_set_ttl(rr, ttl > age_seconds ? ttl - age_seconds : 0);
    }
  }
  ldns_rr_free(ldns_pkt_tsig(pkt));
  ldns_pkt_set_tsig(pkt, nullptr);
  uint8_t ext = ldns_pkt_edns_extended_rcode(pkt);
  if (ext != 0 && !query.edns) {
    ldns_pkt_set_rcode(pkt, static_cast<uint8_t>(Rcode::kServFail));
    ext = 0;
  }
  SetClientEdns(pkt, query, ext);
  std::vector<uint8_t> out = Finish(pkt, query.max_response_size);
  if (out.empty()) return Internal("cannot encode dns response");
  // ldns accepts some upstream records it cannot write back in a form it
  // would accept again (found by fuzzing); never pass such a packet on.
  if (!ParsePacket(out)) return Internal("upstream response does not survive re-encoding");
  return out;
}

Result<Message> DecodeMessage(std::span<const uint8_t> packet) {
  PktPtr p = ParsePacket(packet);
  if (!p) return InvalidArgument("malformed dns message");
  Message m;
  m.id = ldns_pkt_id(p.get());
  m.qr = ldns_pkt_qr(p.get());
  m.aa = ldns_pkt_aa(p.get());
  m.tc = ldns_pkt_tc(p.get());
  m.rd = ldns_pkt_rd(p.get());
  m.ra = ldns_pkt_ra(p.get());
  m.opcode = static_cast<uint8_t>(ldns_pkt_get_opcode(p.get()));
  m.rcode = static_cast<uint16_t>((ldns_pkt_edns_extended_rcode(p.get()) << 4) |
                                  ldns_pkt_get_rcode(p.get()));
  m.edns = ldns_pkt_edns(p.get());
  m.edns_udp_size = ldns_pkt_edns_udp_size(p.get());
  m.question = ToRecords(ldns_pkt_question(p.get()));
  m.answer = ToRecords(ldns_pkt_answer(p.get()));
  m.authority = ToRecords(ldns_pkt_authority(p.get()));
  m.additional = ToRecords(ldns_pkt_additional(p.get()));
  return m;
}

Result<std::vector<uint8_t>> EncodeMessage(const Message& m) {
  PktPtr p(ldns_pkt_new());
  if (!p) std::abort();
  ldns_pkt* pkt = p.get();
  ldns_pkt_set_id(pkt, m.id);
  ldns_pkt_set_qr(pkt, m.qr);
  ldns_pkt_set_aa(pkt, m.aa);
  ldns_pkt_set_tc(pkt, m.tc);
  ldns_pkt_set_rd(pkt, m.rd);
  ldns_pkt_set_ra(pkt, m.ra);
  ldns_pkt_set_opcode(pkt, static_cast<ldns_pkt_opcode>(m.opcode));
  ldns_pkt_set_rcode(pkt, static_cast<uint8_t>(m.rcode & 0xf));
  if (m.edns) {
    pkt->_edns_present = 1;
    ldns_pkt_set_edns_udp_size(pkt, m.edns_udp_size);
    ldns_pkt_set_edns_extended_rcode(pkt, static_cast<uint8_t>(m.rcode >> 4));
  }
  for (const Record& r : m.question) {
    ldns_rr* rr = nullptr;
    std::string text = r.name + " " + ClassName(r.rclass) + " " + TypeName(r.type);
    if (ldns_rr_new_question_frm_str(&rr, text.c_str(), nullptr, nullptr) != LDNS_STATUS_OK) {
      return InvalidArgument("bad question \"" + text + "\"");
    }
    ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, rr);
  }
  const std::pair<const std::vector<Record>*, ldns_pkt_section> sections[] = {
      {&m.answer, LDNS_SECTION_ANSWER},
      {&m.authority, LDNS_SECTION_AUTHORITY},
      {&m.additional, LDNS_SECTION_ADDITIONAL}};
  for (const auto& [records, section] : sections) {
    for (const Record& r : *records) {
      ldns_rr* rr = nullptr;
      std::string text = r.name + " " + std::to_string(r.ttl) + " " + ClassName(r.rclass) + " " +
                         TypeName(r.type) + " " + r.rdata;
      if (ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK) {
        return InvalidArgument("bad record \"" + text + "\"");
      }
      ldns_pkt_push_rr(pkt, section, rr);
    }
  }
  std::vector<uint8_t> out = Finish(pkt, kMaxTcpMessage);
  if (out.empty()) return Internal("cannot encode dns message");
  return out;
}

}  // namespace weft::dns
