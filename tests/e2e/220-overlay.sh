# Containers on overlay networks across hosts (issue #13, items 2-4 and 6)
# on three hosts of the many-hosts harness and a one-member etcd: each node
# that hosts an endpoint makes the network's bridge and VXLAN device and
# holds an address block; containers on different nodes talk by address and
# by name; the kernel holds state per remote node, not per container; weftd
# repairs a deleted route; a killed node's routes and names go from the
# others; separate overlays and bridges stay isolated; traffic leaves through
# the local node; the last container takes the node's presence with it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../cluster.sh"
source "$(dirname "$0")/overlay_lib.sh"
need etcd etcd-server || exit 0
need etcdctl etcd-client || exit 0

cluster_up --hosts 3 --etcd 1
# Address blocks outlive a dead node's lease by 5 s here (60 s by default).
for h in h1 h2 h3; do
  on "$h" env WEFT_BLOCK_GRACE=5 "$WEFT" cluster join --store "$CLUSTER_ETCD" >/dev/null || fail "$h: join"
done
on h1 weft network create ov --driver overlay --subnet 10.230.0.0/16 >/dev/null || fail "create ov"
on h2 weft network create ov2 --driver overlay --subnet 10.231.0.0/16 >/dev/null || fail "create ov2"
expect_error --rc 3 'MTU 1480 is too large for this host.s underlay: at most 1450' \
  on h3 weft network create ov3 --driver overlay --mtu 1480


# --- containers on three nodes ---------------------------------------------------

on h1 weft create a1 --network ov >/dev/null || fail "create a1 on h1"
on h2 weft create a2 --network ov >/dev/null || fail "create a2 on h2"
on h3 weft create a3 --network ov >/dev/null || fail "create a3 on h3"
on h1 weft create b1 --network ov >/dev/null || fail "create b1 on h1"
a1=$(ip_of h1 a1) a2=$(ip_of h2 a2) a3=$(ip_of h3 a3) b1=$(ip_of h1 b1)
echo "a1=$a1 a2=$a2 a3=$a3 b1=$b1"
# Each node allocates inside its own block: four distinct addresses, the
# ones on h1 in one block, the others in other blocks.
[[ $(printf '%s\n' "$a1" "$a2" "$a3" "$b1" | sort -u | wc -l) == 4 ]] || fail "addresses not unique"
[[ ${a1%.*} == "${b1%.*}" && ${a1%.*} != "${a2%.*}" && ${a2%.*} != "${a3%.*}" ]] ||
  fail "addresses not by node block: $a1 $b1 $a2 $a3"
blocks=$(ectl get --prefix --print-value-only /weft/v1/blocks/ov/ | jq -r .node | sort | tr '\n' ' ')
[[ $blocks == "h1 h2 h3 " ]] || fail "etcd's blocks of ov are held by [$blocks], want h1 h2 h3"

# The node's presence: bridge and VXLAN device (VNI, port 4789, no learning,
# MTU underlay - 50), the gateway on the bridge, proxy ARP on.
vni=$(on h1 weft --json network inspect ov | jq -r .vni)
vx=$(on h2 ip -d -j link show "wvx$vni") || fail "h2 has no VXLAN device wvx$vni"
[[ $(jq -r '.[0].linkinfo.info_data | "\(.id) \(.port) \(.learning)"' <<<"$vx") == "$vni 4789 false" ]] ||
  fail "wvx$vni: $(jq -c '.[0].linkinfo.info_data' <<<"$vx")"
ul_mtu=$(on h2 ip -j link show eth0 | jq -r ".[0].mtu")
[[ -z $ul_mtu || $(jq -r '.[0].mtu' <<<"$vx") == $((ul_mtu - 50)) ]] || fail "VXLAN MTU is not underlay - 50"
[[ $(on h2 cat "/proc/sys/net/ipv4/conf/wob$vni/proxy_arp") == 1 ]] || fail "proxy_arp off on wob$vni"
ok "each node that hosts a container has the network's bridge and VXLAN device and its own block"

# --- talking across nodes -----------------------------------------------------------

reach h1 a1 "$a2" || fail "a1 (h1) cannot ping a2 (h2)"
reach h2 a2 "$a3" || fail "a2 (h2) cannot ping a3 (h3)"
reach h3 a3 "$b1" || fail "a3 (h3) cannot ping b1 (h1)"
reach h1 a1 "$b1" || fail "a1 cannot ping b1 (same node)"
# TCP, and the peer sees the client's own address (routed, not NATed).
on_bg h2 ip netns exec a2 socat -T5 TCP-LISTEN:7000,reuseaddr SYSTEM:'echo "$SOCAT_PEERADDR"'
wait_listen h2 a2 7000
got=$(inside h1 a1 socat -T3 - TCP:"$a2":7000 </dev/null) || fail "TCP a1 -> a2 failed"
[[ $got == "$a1" ]] || fail "a2 saw the client as [$got], want $a1"
ok "containers on three nodes talk by address (ICMP and TCP), the peer sees the client's address"

# By name: every node's DNS answers for every container on the network.
deadline=$((SECONDS + 10))
until [[ $(inside h1 a1 getent hosts a3 | awk '{print $1}') == "$a3" ]]; do
  ((SECONDS < deadline)) || fail "a1 (h1) does not resolve a3 (h3): $(inside h1 a1 getent hosts a3)"
  sleep 0.2
done
inside h3 a3 ping -c1 -W2 a1 >/dev/null || fail "a3 cannot ping a1 by name"
ok "names resolve across nodes"

# State per remote node, not per container: on h1, one route and one
# neighbour per remote block, one FDB entry per remote node.
routes=$(on h1 ip -4 route show dev "wvx$vni" | grep -c via)
neighs=$(on h1 ip neigh show dev "wvx$vni" nud permanent | grep -c .)
fdb=$(on h1 bridge fdb show dev "wvx$vni" | grep -c dst)
[[ "$routes $neighs $fdb" == "2 2 2" ]] || fail "h1 has $routes routes, $neighs neighbours, $fdb FDB entries on wvx$vni (want 2 2 2)"
on h2 weft create c2 --network ov >/dev/null || fail "create c2 on h2"
c2=$(ip_of h2 c2)
reach h1 a1 "$c2" || fail "a1 cannot reach c2, a new container on h2"
routes=$(on h1 ip -4 route show dev "wvx$vni" | grep -c via)
[[ $routes == 2 ]] || fail "a second container on h2 changed h1's routes ($routes)"
ok "kernel state per remote node: 2 routes, 2 neighbours, 2 FDB entries for 2 remote nodes; a new container changes none"

# --- the CNI plugin on an overlay network, and a published port --------------------------
# A runtime's namespace on h3 joins ov through weft as a CNI plugin.
on h3 ip netns add rt1
conf='{"cniVersion":"1.0.0","name":"ov","type":"weft","network":"ov"}'
res=$(on h3 env CNI_COMMAND=ADD CNI_CONTAINERID=rt1 CNI_NETNS=/run/netns/rt1 CNI_IFNAME=eth0 \
  CNI_PATH=/nonexistent "$WEFT" <<<"$conf") || fail "CNI ADD on ov failed: $res"
rt1=$(jq -r '.ips[0].address' <<<"$res")
[[ ${rt1%/*} == "${a3%.*}".* && ${rt1#*/} == 16 ]] || fail "CNI ADD gave $rt1, want an address of h3's block with the network's /16"
[[ $(jq -r '.dns.nameservers[0]' <<<"$res") == 10.230.0.1 ]] || fail "CNI result's DNS: $(jq -c .dns <<<"$res")"
on h3 ip netns exec rt1 ping -c1 -W2 "$a1" >/dev/null || fail "the CNI attachment on h3 cannot ping a1 on h1"
on h3 env CNI_COMMAND=DEL CNI_CONTAINERID=rt1 CNI_NETNS=/run/netns/rt1 CNI_IFNAME=eth0 \
  CNI_PATH=/nonexistent "$WEFT" <<<"$conf" >/dev/null || fail "CNI DEL failed"
on h3 ip netns del rt1
# A port published by an overlay container, reached at its node's address.
on h2 weft create web2 --network ov -p 8082:80 >/dev/null || fail "create web2 -p 8082:80"
on_bg h2 weft exec web2 -- socat -T5 TCP-LISTEN:80,reuseaddr SYSTEM:'echo web2'
wait_listen h2 web2 80
got=$(on h1 socat -T3 - TCP:"${CLUSTER_ADDR[h2]}":8082 </dev/null) || fail "h1 cannot reach web2's published port on h2"
[[ $got == web2 ]] || fail "published port on h2 answered [$got]"
on h2 weft rm web2 >/dev/null || fail "rm web2"
ok "the CNI plugin attaches a runtime's namespace to an overlay network; published ports work on the container's node"

# --- IPv6 alongside IPv4 ------------------------------------------------------------
# Each node holds a /80 block of the /64 too; a container's IPv6 address has
# its block's length and the rest of the subnet is routed via the gateway
# (no proxy NDP); the fabric routes remote /80 blocks via the node's VTEP
# link-local address: one route per remote block, one neighbour per node.
expect_error --rc 3 'an overlay network needs an IPv4 subnet' \
  on h1 weft network create ov6only --driver overlay --subnet fd33::/64
on h1 weft network create ov6 --driver overlay --subnet 10.232.0.0/16 --subnet fd32::/64 >/dev/null ||
  fail "create ov6 (dual stack)"
vni6=$(on h1 weft --json network inspect ov6 | jq -r .vni)
on h1 weft create v1 --network ov6 >/dev/null || fail "create v1 on h1 (ov6)"
on h1 weft create w1 --network ov6 >/dev/null || fail "create w1 on h1 (ov6)"
on h2 weft create v2 --network ov6 >/dev/null || fail "create v2 on h2 (ov6)"
ip6_of() { on "$1" weft --json inspect "$2" | jq -r '.networks[] | select(.network == "ov6") | .ipv6'; }
canon6() { python3 -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1].strip("[]")))' "$1"; }
v1=$(ip6_of h1 v1) w1=$(ip6_of h1 w1) v2=$(ip6_of h2 v2)
echo "v1=$v1 w1=$w1 v2=$v2"
block80() { python3 -c 'import ipaddress, sys; print(ipaddress.ip_network(sys.argv[1] + "/80", strict=False))' "$1"; }
[[ $(block80 "$v1") == "$(block80 "$w1")" && $(block80 "$v1") != "$(block80 "$v2")" ]] ||
  fail "IPv6 addresses not by node block: $v1 $w1 (h1) $v2 (h2)"
[[ $(ectl get --prefix --keys-only /weft/v1/blocks/ov6/ | grep -c 'fd32:') == 2 ]] ||
  fail "etcd holds [$(ectl get --prefix --keys-only /weft/v1/blocks/ov6/ | tr '\n' ' ')], want one IPv6 block per node"
# (Read first, then matched: grep -q may close the pipe early, and pipefail
# would count ip's SIGPIPE as a failure.)
v1addrs=$(on h1 ip netns exec v1 ip -6 addr show dev eth0)
[[ $v1addrs == *"inet6 $v1/80 "* ]] || fail "v1's IPv6 address is not its block's /80: $v1addrs"
v1routes=$(on h1 ip netns exec v1 ip -6 route show)
grep -Eq '^fd32::/64 via fd32::1 dev eth0 .*onlink' <<<"$v1routes" ||
  fail "v1 has no on-link route for the subnet via the gateway: $v1routes"
reach h1 v1 "$v2" || fail "v1 (h1) cannot ping v2 (h2) over IPv6"
reach h2 v2 "$w1" || fail "v2 (h2) cannot ping w1 (h1) over IPv6"
reach h1 v1 "$w1" || fail "v1 cannot ping w1 over IPv6 (same node)"
on h1 ping -c1 -W2 "$v2" >/dev/null || fail "h1 cannot ping v2 on h2 over IPv6"
on_bg h2 ip netns exec v2 socat -T5 TCP6-LISTEN:7006,reuseaddr SYSTEM:'echo "$SOCAT_PEERADDR"'
wait_listen h2 v2 7006
got=$(inside h1 v1 socat -T3 - TCP6:"[$v2]":7006 </dev/null) || fail "TCP over IPv6 v1 -> v2 failed"
[[ $(canon6 "$got") == "$v1" ]] || fail "v2 saw the IPv6 client as [$got], want $v1"
deadline=$((SECONDS + 10))
until [[ $(inside h1 v1 getent ahostsv6 v2 | awk 'NR == 1 {print $1}') == "$v2" ]]; do
  ((SECONDS < deadline)) || fail "v1 (h1) does not resolve v2 (h2) to its IPv6 address: $(inside h1 v1 getent ahostsv6 v2)"
  sleep 0.2
done
routes6=$(on h1 ip -6 route show dev "wvx$vni6" | grep -c 'via fe80::')
neighs6=$(on h1 ip -6 neigh show dev "wvx$vni6" nud permanent | grep -c .)
[[ "$routes6 $neighs6" == "1 1" ]] ||
  fail "h1 has $routes6 IPv6 routes and $neighs6 IPv6 neighbours on wvx$vni6 (want 1 1): $(on h1 ip -6 route show dev "wvx$vni6")"
on h1 weft status >/dev/null || fail "weft status on h1 with IPv6 overlay containers: $(on h1 weft status 2>&1)"
# The CNI plugin reports the address as configured: the block's /80.
on h2 ip netns add rt6
conf6='{"cniVersion":"1.0.0","name":"ov6","type":"weft","network":"ov6"}'
res=$(on h2 env CNI_COMMAND=ADD CNI_CONTAINERID=rt6 CNI_NETNS=/run/netns/rt6 CNI_IFNAME=eth0 \
  CNI_PATH=/nonexistent "$WEFT" <<<"$conf6") || fail "CNI ADD on ov6 failed: $res"
rt6=$(jq -r '.ips[] | select(.address | contains(":")) | .address' <<<"$res")
[[ ${rt6#*/} == 80 && $(block80 "${rt6%/*}") == "$(block80 "$v2")" ]] || fail "CNI ADD on ov6 gave $rt6, want an address of h2's /80 block"
on h2 ip netns exec rt6 ping -c1 -W2 "$v1" >/dev/null || fail "the CNI attachment on h2 cannot ping v1 on h1 over IPv6"
on h2 env CNI_COMMAND=CHECK CNI_CONTAINERID=rt6 CNI_NETNS=/run/netns/rt6 CNI_IFNAME=eth0 \
  CNI_PATH=/nonexistent "$WEFT" <<<"$(jq -c --argjson r "$res" '. + {prevResult: $r}' <<<"$conf6")" >/dev/null ||
  fail "CNI CHECK on ov6 failed"
on h2 env CNI_COMMAND=DEL CNI_CONTAINERID=rt6 CNI_NETNS=/run/netns/rt6 CNI_IFNAME=eth0 \
  CNI_PATH=/nonexistent "$WEFT" <<<"$conf6" >/dev/null || fail "CNI DEL on ov6 failed"
on h2 ip netns del rt6
on h1 weft rm v1 w1 >/dev/null || fail "rm v1 w1"
on h2 weft rm v2 >/dev/null || fail "rm v2"
[[ -z $(ectl get --prefix --keys-only /weft/v1/blocks/ov6/) ]] || fail "ov6's blocks stayed held after its last containers"
on h1 weft network rm ov6 >/dev/null || fail "network rm ov6"
ok "IPv6 alongside IPv4 on an overlay: /80 blocks per node, ping, TCP and AAAA names across nodes, CNI, 1 route and 1 neighbour per remote node"

# --- drift repair: a deleted route comes back ----------------------------------------

route=$(on h1 ip -4 route show dev "wvx$vni" | grep via | head -1 | awk '{print $1}')
on h1 ip route del "$route" dev "wvx$vni"
deadline=$((SECONDS + 10))
until on h1 ip -4 route show dev "wvx$vni" | grep -q "^$route "; do
  ((SECONDS < deadline)) || fail "weftd did not restore the route to $route on h1"
  sleep 0.2
done
reach h1 a1 "$a2" || fail "a1 cannot ping a2 after the repair"
ok "weftd restores a deleted route"

# weft status sees a missing VXLAN device; weft gc makes it again.
on h1 weft status >/dev/null || fail "weft status on a healthy h1 found a problem: $(on h1 weft status 2>&1)"
on h1 ip link del "wvx$vni"
out=$(on h1 weft status 2>&1) && fail "weft status missed the deleted VXLAN device"
[[ $out == *"VXLAN device wvx$vni is missing"* ]] || fail "weft status said: $out"
on h1 weft gc >/dev/null || fail "weft gc on h1"
on h1 ip -d link show "wvx$vni" | grep -q "vxlan id $vni" || fail "weft gc did not make wvx$vni again"
reach h1 a1 "$a2" || fail "a1 cannot ping a2 after gc re-made the VXLAN device"
ok "weft status reports a missing VXLAN device; weft gc makes it again and traffic resumes"

# --- isolation ---------------------------------------------------------------------

on h2 weft create d2 --network ov2 >/dev/null || fail "create d2 on ov2"
on h1 weft create d1 --network ov2 >/dev/null || fail "create d1 on ov2"
d1=$(ip_of h1 d1 ov2) d2=$(ip_of h2 d2 ov2)
reach h1 d1 "$d2" || fail "d1 cannot ping d2 on ov2"
inside h1 d1 ping -c1 -W1 "$a2" >/dev/null && fail "d1 (ov2) reached a2 (ov) on another node"
inside h1 d1 ping -c1 -W1 "$a1" >/dev/null && fail "d1 (ov2) reached a1 (ov) on its own node"
on h1 weft network create br >/dev/null || fail "create bridge br on h1"
on h1 weft create e1 --network br >/dev/null || fail "create e1 on br"
inside h1 e1 ping -c1 -W1 "$a1" >/dev/null && fail "e1 (bridge br) reached a1 (ov)"
inside h1 e1 ping -c1 -W1 "$a2" >/dev/null && fail "e1 (bridge br) reached a2 (ov, h2)"
inside h1 a1 ping -c1 -W1 "$(ip_of h1 e1 br)" >/dev/null && fail "a1 (ov) reached e1 (bridge br)"
ok "overlay networks are isolated from each other and from bridges"

# --- NAT out through the local node -------------------------------------------------
# h1's underlay address is outside every container network: a container
# reaching it is masqueraded behind h1's own address.
on_bg h2 socat -T5 TCP-LISTEN:7001,reuseaddr SYSTEM:'echo "$SOCAT_PEERADDR"'
wait_listen h2 - 7001
got=$(inside h1 a1 socat -T3 - TCP:"${CLUSTER_ADDR[h2]}":7001 </dev/null) || fail "a1 cannot reach h2's underlay address"
[[ $got == "${CLUSTER_ADDR[h1]}" ]] || fail "h2 saw a1 as [$got], want h1's address ${CLUSTER_ADDR[h1]} (NAT via the local node)"
ok "traffic to the outside leaves through the local node, masqueraded"

# --- a node dies: its routes and names go from the others ---------------------------

host_kill h3
killed=$(date +%s.%N)
deadline=$((SECONDS + 25))
while on h1 ip -4 route show dev "wvx$vni" | grep -q "${a3%.*}.0"; do
  ((SECONDS < deadline)) || fail "h1 still routes to dead h3's block after 25 s"
  sleep 0.5
done
deadline=$((SECONDS + 5))
while [[ -n $(inside h1 a1 getent hosts a3) ]]; do
  ((SECONDS < deadline)) || fail "h1 still resolves a3 of dead h3"
  sleep 0.2
done
gone=$(date +%s.%N)
# Its block stays claimed for the grace period (no other node hands out its
# addresses yet), then returns to the pool.
h3_blocks() { ectl get --prefix --print-value-only /weft/v1/blocks/ov/ | jq -r .node | grep -c h3 || true; }
[[ $(h3_blocks) == 1 ]] || fail "dead h3's block was released with its node lease (no grace)"
deadline=$((SECONDS + 20))
while [[ $(h3_blocks) != 0 ]]; do
  ((SECONDS < deadline)) || fail "dead h3's block is still held 20 s after its routes went"
  sleep 0.5
done
freed=$(date +%s.%N)
reach h1 a1 "$a2" || fail "a1 cannot ping a2 after h3 died"
ok "a killed node's route, neighbour, FDB entry and names go from the others ($(echo "$gone - $killed" | bc | cut -c1-4) s after the kill; lease TTL 10 s), its block $(echo "$freed - $killed" | bc | cut -c1-4) s after (grace 5 s)"

# --- the last container takes the node's presence with it -----------------------------

on h2 weft rm a2 c2 >/dev/null || fail "rm a2 c2 on h2"
on h2 ip link show "wvx$vni" >/dev/null 2>&1 && fail "h2 kept wvx$vni after its last container on ov"
on h2 ip link show "wob$vni" >/dev/null 2>&1 && fail "h2 kept wob$vni after its last container on ov"
deadline=$((SECONDS + 10))
while on h1 ip -4 route show dev "wvx$vni" | grep -q "${a2%.*}.0"; do
  ((SECONDS < deadline)) || fail "h1 still routes to h2's block after h2 left ov"
  sleep 0.2
done
ok "the last container on a node removes the network's bridge and VXLAN device there"

# --- a failed attach leaves nothing, here or in etcd ----------------------------------
held() { ectl get --prefix --print-value-only /weft/v1/blocks/ov/ | jq -r .node | sort | tr '\n' ' '; }
before=$(held)
for step in create-bridge create-vxlan create-veth publish-endpoint record-network record-container confirm-endpoint; do
  rc=0
  on h2 env WEFT_FAULT="$step:fail" "$WEFT" create f2 --network ov >/dev/null 2>&1 || rc=$?
  [[ $rc != 0 ]] || fail "create with $step failing succeeded"
  on h2 ip link show "wvx$vni" >/dev/null 2>&1 && fail "$step failed: h2 kept wvx$vni"
  on h2 ip link show "wob$vni" >/dev/null 2>&1 && fail "$step failed: h2 kept wob$vni"
  [[ -z $(on h2 "$WEFT" --json inspect f2 2>/dev/null) ]] || fail "$step failed: f2 exists"
  [[ $(held) == "$before" ]] || fail "$step failed: blocks held [$(held)], before [$before]"
done
ok "an attach failed at any step leaves no device, container or block behind"

# One name, one container on a network: a name another node's container has
# there is refused, and nothing is left.
expect_error --rc 5 'container "a1" on network "ov" is on node "h1"' on h2 weft create a1 --network ov
on h2 test -e /run/netns/a1 && fail "the refused create left a1's namespace on h2"
on h2 ip link show "wvx$vni" >/dev/null 2>&1 && fail "the refused create left wvx$vni on h2"
[[ $(held) == "$before" ]] || fail "the refused create left a block held: [$(held)]"
ok "a container name taken on the network by another node is refused"

expect_error --rc 6 'containers on overlay networks \(ov, ov2\)' on h1 weft cluster leave
on h1 weft rm a1 b1 d1 e1 >/dev/null || fail "rm on h1"
on h2 weft rm d2 >/dev/null || fail "rm d2"
on h1 weft network rm ov >/dev/null || fail "network rm ov"
cluster_down
