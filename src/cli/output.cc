#include "cli/output.h"

#include <cstdio>
#include <iostream>

#include "cli/table.h"
#include "core/apply.h"
#include "core/gc.h"

namespace weft::cli {

void PrintJson(const nlohmann::json& j) { std::cout << j.dump(2) << "\n"; }

nlohmann::json NsViewJson(const core::NsView& v) {
  nlohmann::json ifs = nlohmann::json::array();
  for (const auto& i : v.interfaces) {
    nlohmann::json o = {{"name", i.name}, {"index", i.index}, {"state", i.state},
                        {"mac", i.mac},   {"mtu", i.mtu},     {"addresses", i.addresses}};
    if (!i.kind.empty()) o["kind"] = i.kind;
    if (!i.master.empty()) o["master"] = i.master;
    ifs.push_back(std::move(o));
  }
  nlohmann::json routes = nlohmann::json::array();
  for (const auto& r : v.routes) {
    nlohmann::json o = {{"family", r.family}, {"dst", r.dst}, {"dev", r.dev}};
    if (!r.gateway.empty()) o["gateway"] = r.gateway;
    routes.push_back(std::move(o));
  }
  return {{"name", v.name}, {"interfaces", ifs}, {"routes", routes}};
}

std::string NsViewText(const core::NsView& v) {
  std::string out = "Namespace " + v.name + "\n\nInterfaces:\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& i : v.interfaces) {
    std::string addrs;
    for (const auto& a : i.addresses) addrs += (addrs.empty() ? "" : " ") + a;
    std::string name = i.name + (i.master.empty() ? "" : " (on " + i.master + ")");
    rows.push_back(
        {std::to_string(i.index), name, i.kind, i.state, i.mac, std::to_string(i.mtu), addrs});
  }
  out += RenderTable({"INDEX", "NAME", "KIND", "STATE", "MAC", "MTU", "ADDRESSES"}, rows);
  out += "\nRoutes:\n";
  if (v.routes.empty()) return out + "(none)\n";
  rows.clear();
  for (const auto& r : v.routes) rows.push_back({r.family, r.dst, r.gateway, r.dev});
  return out + RenderTable({"FAMILY", "DESTINATION", "GATEWAY", "DEV"}, rows);
}

Status Execute(core::Context& ctx, engine::Plan& plan, bool dry_run) {
  if (dry_run) {
    std::cout << plan.Explain();
    return Status::Ok();
  }
  return core::ApplyPlan(ctx, plan);
}

core::OperationOptions CliOptions(bool dry_run) {
  core::OperationOptions o;
  o.dry_run = dry_run;
  o.warn = [](const std::string& why) { std::fprintf(stderr, "weft: %s\n", why.c_str()); };
  return o;
}

Result<engine::Plan> RunCommand(core::Context& ctx, bool dry_run, const core::Planner& planner,
                                const core::SnapshotReader& read) {
  WEFT_ASSIGN_OR_RETURN(engine::Plan plan,
                        core::RunOperation(ctx, CliOptions(dry_run), planner, read));
  if (dry_run) std::cout << plan.Explain();
  return plan;
}

}  // namespace weft::cli
