#include "core/sysctl_step.h"

#include <memory>

#include "kernel/sysctl.h"

namespace weft::core {

engine::Step SysctlStep(std::string name, std::vector<std::pair<std::string, std::string>> wanted) {
  std::string explain;
  for (const auto& [k, v] : wanted) explain += "sysctl -w " + k + "=" + v + "\n";
  if (!explain.empty()) explain.pop_back();
  auto previous = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
  return engine::Step{
      std::move(name), explain,
      [wanted = std::move(wanted), previous] {
        for (const auto& [k, v] : wanted) {
          auto old = kernel::ReadSysctl(k);
          if (!old.ok()) {
            if (old.status().code() == Code::kNotFound && k.rfind("net.bridge.", 0) == 0) {
              return FailedPrecondition(
                  "the kernel's bridge netfilter is missing (modprobe br_netfilter): " + k);
            }
            return old.status();
          }
          if (*old == v) continue;
          WEFT_RETURN_IF_ERROR(kernel::WriteSysctl(k, v));
          previous->emplace_back(k, *old);
        }
        return Status::Ok();
      },
      [previous] {
        StatusList errors;
        for (auto it = previous->rbegin(); it != previous->rend(); ++it) {
          errors.Add(kernel::WriteSysctl(it->first, it->second));
        }
        previous->clear();
        return errors.ToStatus();
      }};
}

}  // namespace weft::core
