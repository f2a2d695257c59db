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

// /etc/resolv.conf: the host's resolv.conf without loopback nameservers,
// which a container cannot reach.
std::string ResolvConf(const std::string& host_resolv_conf);

// Writes all three files into `dir` (created 0755).
Status WriteContainerFiles(const std::string& dir, const store::Container& c);

}  // namespace weft::core
