#include "ipam/allocator.h"

namespace weft::ipam {

Result<IpAddress> AllocateAddress(const Prefix& subnet, const IpAddress& gateway,
                                  const std::function<bool(const IpAddress&)>& is_used) {
  const IpAddress last = subnet.Broadcast();
  for (IpAddress a = FirstHost(subnet);; a = Plus(a, 1)) {
    if (IsUsableHost(subnet, a) && a != gateway && !is_used(a)) return a;
    if (a == last) break;
  }
  return ResourceExhausted("subnet " + subnet.ToString() + " has no free address");
}

Status ValidateStaticAddress(const Prefix& subnet, const IpAddress& gateway,
                             const IpAddress& addr) {
  std::string what = "address " + addr.ToString() + " is ";
  std::string where = " subnet " + subnet.ToString();
  if (!subnet.Contains(addr)) return InvalidArgument(what + "not in" + where);
  if (!IsUsableHost(subnet, addr)) {
    return InvalidArgument(
        what + (addr == subnet.address() ? "the network address of" : "the broadcast address of") +
        where);
  }
  if (addr == gateway) return InvalidArgument(what + "the gateway of" + where);
  return Status::Ok();
}

}  // namespace weft::ipam
