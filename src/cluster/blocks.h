#pragma once

// Address blocks of an overlay network's subnet, held by nodes (Flannel's
// subnet leases; docs/DECISIONS.md "Overlay networks"). A node claims a block
// with one etcd transaction (create the block's key if absent) and then
// allocates addresses inside it on its own: no two nodes can hand out one
// address, and an attach needs no etcd round trip once a block is held.
// Blocks live under the holder's node lease, so a node that drops out of the
// cluster frees its blocks with it.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/ip.h"
#include "base/result.h"
#include "etcd/client.h"

namespace weft::cluster {

// The block size for a subnet: IPv4 /24 blocks of a /16 (256 nodes of 254
// addresses); smaller subnets are cut into 16 blocks (a /24 into /28s), down
// to /30; IPv6 /80 blocks of a /64 (or 16 bits below a longer prefix, at most
// /120).
int BlockLength(const IpPrefix& subnet);

// Blocks live under a lease of their own, granted with the node's and renewed
// with it, whose TTL is the node's plus a grace period: a node that dies
// drops out of every view (routes, DNS) when its node lease expires, but its
// blocks stay claimed for the grace period longer, so no other node hands
// out its addresses while peers may still hold them (ARP caches, conntrack,
// clients that resolved the name); a node that comes back within it takes
// its blocks back. WEFT_BLOCK_GRACE (seconds) overrides the default.
inline constexpr int64_t kBlockGraceSeconds = 60;
int64_t BlockLeaseTtl();  // the node's TTL + the grace period

// Every block of `network` and the node that holds it, as of one read.
Result<std::map<IpPrefix, std::string>> ListBlocks(const etcd::Client& client,
                                                   std::string_view network);

// How many blocks each node holds, over every network (weft cluster ls).
Result<std::map<std::string, int>> BlocksPerNode(const etcd::Client& client);

// Claims the first free block of `subnet` (blocks of `block_length`) for
// `node` under `lease`, and returns it. Reads the held blocks once, then
// tries candidates in order; a candidate another node wins meanwhile is
// skipped. kResourceExhausted naming the subnet when every block is held.
Result<IpPrefix> ClaimBlock(const etcd::Client& client, std::string_view network,
                            const IpPrefix& subnet, int block_length, std::string_view node,
                            int64_t lease);

// Claims one given block (a node taking back what its endpoints use after
// it re-registered). Succeeds when it is free or already `node`'s (then
// moved under `lease`); kAlreadyExists naming the holder otherwise.
Status ClaimThisBlock(const etcd::Client& client, std::string_view network, const IpPrefix& block,
                      std::string_view node, int64_t lease);

// Gives a block back, only if `node` holds it (kFailedPrecondition naming
// the holder otherwise; kNotFound when no one does).
Status ReleaseBlock(const etcd::Client& client, std::string_view network, const IpPrefix& block,
                    std::string_view node);

}  // namespace weft::cluster
