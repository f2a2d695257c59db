// weft trace SRC DST[:PORT][/tcp|udp|icmp]: one real probe, followed hop by
// hop with the kernel's own tracing (core/trace.h). Reads the store only.

#include <iostream>

#include "cli/command.h"
#include "cli/output.h"
#include "core/trace.h"

namespace weft::cli {
namespace {

std::string TypeName(firewall::TraceType t) {
  switch (t) {
    case firewall::TraceType::kRule:
      return "rule";
    case firewall::TraceType::kPolicy:
      return "policy";
    case firewall::TraceType::kReturn:
      return "return";
    case firewall::TraceType::kUnspec:
      break;
  }
  return "unspec";
}

nlohmann::json TraceJson(const core::TraceResult& r) {
  nlohmann::json hops = nlohmann::json::array();
  for (const auto& h : r.report.hops) hops.push_back({{"where", h.where}, {"what", h.what}});
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : r.facts.events) {
    nlohmann::json j = {{"table", e.table}, {"chain", e.chain}, {"type", TypeName(e.type)}};
    if (e.rule_handle) j["handle"] = *e.rule_handle;
    if (e.verdict) j["verdict"] = firewall::VerdictName(*e.verdict);
    if (e.policy) j["policy"] = firewall::VerdictName(*e.policy);
    events.push_back(std::move(j));
  }
  return {{"source", r.facts.source},
          {"destination", r.facts.destination},
          {"protocol", r.facts.protocol},
          {"port", r.facts.port},
          {"probe_id", r.facts.probe_id},
          {"hops", hops},
          {"result", r.report.result},
          {"summary", r.report.summary},
          {"events", events}};
}

}  // namespace

void AddTraceCommand(CLI::App& app, Invocation& inv) {
  CLI::App* trace = app.add_subcommand(
      "trace", "Follow one real probe from SRC to DST: routes, bridge, rules hit, NAT, verdict");
  auto source = std::make_shared<std::string>();
  auto target = std::make_shared<std::string>();
  trace->add_option("SRC", *source, "Container name, address, or host")->required();
  trace
      ->add_option("DST", *target,
                   "Container name, address or host, with :PORT and /tcp|udp|icmp "
                   "(default tcp with a port, icmp without)")
      ->required();
  auto wait_ms = std::make_shared<int>(900);
  trace->add_option("--wait", *wait_ms, "Milliseconds to wait for an answer (default 900)")
      ->check(CLI::Range(50, 60000));
  trace->callback([&inv, source, target, wait_ms] {
    inv.dns_aware = false;
    inv.action = [&inv, source, target, wait_ms](core::Context& ctx) -> Status {
      core::TraceRequest req;
      req.source = *source;
      req.wait_ms = *wait_ms;
      WEFT_RETURN_IF_ERROR(core::ParseTraceTarget(*target, req));
      WEFT_ASSIGN_OR_RETURN(core::TraceResult r, core::Trace(ctx, req));
      if (inv.globals.json) {
        PrintJson(TraceJson(r));
        return Status::Ok();
      }
      std::cout << "trace " << r.facts.source << " -> " << r.facts.destination << " "
                << r.facts.protocol;
      if (r.facts.port != 0) std::cout << "/" << r.facts.port;
      std::cout << " (probe id " << r.facts.probe_id << ")\n";
      int i = 1;
      for (const auto& h : r.report.hops) {
        std::cout << "  " << i++ << ". " << h.where << ": " << h.what << "\n";
      }
      std::cout << r.report.summary << "\n";
      return Status::Ok();
    };
  });
}

}  // namespace weft::cli
