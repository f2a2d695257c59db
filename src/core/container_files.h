#pragma once

// The files a container's processes see as /etc/hosts, /etc/resolv.conf and
// /etc/hostname, kept under <state-dir>/containers/<NAME>/ and bind-mounted
// by `weft exec`.

#include <string>

#include "base/status.h"
#include "store/model.h"

namespace weft::core {

// /etc/hosts: localhost lines, then the container's own addresses with its
// hostname and name.
std::string HostsFile(const store::Container& c);

// /etc/resolv.conf for a container whose first network is `first` (null for
// --network none):
//   - the network has DNS: its gateways (weftd), search NETWORK then the
//     host's search domains, the host's options;
//   - DNS disabled but the network has --dns servers: those, with the host's
//     search and options;
//   - otherwise the host's resolv.conf without loopback nameservers, which a
//     container cannot reach.
std::string ResolvConf(const std::string& host_resolv_conf, const store::Network* first);

// Writes all three files into `dir` (created 0755). `first` as for ResolvConf.
Status WriteContainerFiles(const std::string& dir, const store::Container& c,
                           const store::Network* first);

}  // namespace weft::core
