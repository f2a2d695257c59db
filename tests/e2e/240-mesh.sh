# The ingress routing mesh across hosts (issue #14, item 5), on three hosts
# and one etcd member: a service of an overlay network is one cluster record
# with a VIP from the network's service block; backends join from any node;
# its published port opens on every node (one without any container
# joins the network for it), and a connection from outside through any
# node reaches a backend on any node,
# which sees the client's own address (no SNAT: the reply goes back through
# the node the client came in by). A backend that fails its checks on one
# node leaves every node's rotation; --local keeps each node to its own
# backends; removing the service removes it everywhere; bad input changes
# nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../cluster.sh"
source "$(dirname "$0")/overlay_lib.sh"
need etcd etcd-server || exit 0
need etcdctl etcd-client || exit 0
need socat socat || exit 0

cluster_up --hosts 3 --etcd 1 --ipv6
for h in h1 h2 h3; do on "$h" weft cluster join --store "$CLUSTER_ETCD" >/dev/null || fail "$h: join"; done
on h1 weft network create ov --driver overlay --subnet 10.240.0.0/16 --subnet fd40::/64 >/dev/null ||
  fail "create ov"
client=$CLUSTER_GW  # the outer sandbox, on the underlay: a client outside every overlay
client6=$CLUSTER_GW6

# serve HOST CONTAINER [PORT [6]]: a backend that answers each connection
# with its name and the client address it saw: "b1 10.200.0.1" (with 6:
# over IPv6 only, "b1 [fd00:0200:...]").
serve() {
  local h=$1 c=$2 port=${3:-80} listen="TCP4-LISTEN:${3:-80},reuseaddr,fork"
  [[ ${4:-} == 6 ]] && listen="TCP6-LISTEN:$port,reuseaddr,fork,ipv6only=1"
  on_bg "$h" ip netns exec "$c" socat "$listen" SYSTEM:"head -c1 >/dev/null; echo $c \$SOCAT_PEERADDR"
  wait_listen "$h" "$c" "$port"
}
# through ADDRESS PORT N [6]: N connections from the outer sandbox (with 6:
# over IPv6); what each backend said, one per line ("FAILED" for a
# connection that failed).
through() {
  local i to="TCP4:$1:$2"
  [[ ${4:-} == 6 ]] && to="TCP6:[$1]:$2"
  for i in $(seq "$3"); do
    printf x | timeout 6 socat -t3 -T3 - "$to,connect-timeout=2" 2>/dev/null || echo FAILED
  done
}
# canon6 ADDRESS...: each IPv6 address (socat's "[fd00:0200:...]") in its short form.
canon6() {
  python3 -c 'import ipaddress, sys; print(" ".join(str(ipaddress.ip_address(a.strip("[]"))) for a in sys.argv[1:]))' "$@"
}
# mesh_picture: each node's return path (for a failure's message).
mesh_picture() {
  local h
  for h in h1 h2 h3; do
    echo "--- $h" >&2
    { on "$h" ip rule show; on "$h" ip route show table all | grep -E 'wvx.* via'
      on "$h" ip -6 rule show
      on "$h" nft list table inet weft_mesh 2>&1 | grep -E 'elements|ct'
      on "$h" conntrack -L 2>/dev/null | grep -E 'dport=8080 |src=10.200.0.1 ' | head -5; } >&2 || true
  done
}
# rotation HOST SERVICE: its backends in rotation as HOST sees them.
rotation() {
  on "$1" weft service inspect "$2" 2>/dev/null |
    jq -r '[.backends[] | select(.in_rotation) | .container] | sort | join(",")'
}
wait_rotation() {
  local h=$1 s=$2 want=$3 deadline=$((SECONDS + 15))
  until [[ $(rotation "$h" "$s") == "$want" ]]; do
    ((SECONDS < deadline)) || fail "$h: service $s has [$(rotation "$h" "$s")] in rotation, want [$want]: $(on "$h" weft service inspect "$s" 2>&1)"
    sleep 0.2
  done
}

# --- bad input changes nothing ----------------------------------------------------------

on h1 weft network create br >/dev/null || fail "create br"
before=$(ectl get --prefix --keys-only /weft/v1/ | sort)
expect_error 'needs an overlay network; "br" is a bridge' on h1 weft service create x --network br --port 80 --mesh
expect_error 'exclude each other' on h1 weft service create x --network ov --port 80 --mesh --local
expect_error 'no network' on h1 weft service create x --network nosuch --port 80
expect_error "comes from its service block" on h1 weft service create x --network ov --port 80 --vip 10.240.0.9
[[ $(ectl get --prefix --keys-only /weft/v1/ | sort) == "$before" ]] || fail "refused creates changed etcd"
ok "bad input: one line each, etcd unchanged"

# --- one service, backends on two nodes, a third node without one ------------------------------

# The mesh's first build left an IPv4-only `ip weft_mesh`; h3 replaces it
# with `inet weft_mesh` when it first writes the mesh.
on h3 nft add table ip weft_mesh
# Made from h3, which has no container: the command puts h3 on ov for the
# mesh and brings it in step with the cluster once, not a second time after
# the command (as it did).
log=$(on h3 weft --debug service create web --network ov --port 80 --publish 8080:80 \
  --health tcp --health-interval 300ms 2>&1 >/dev/null) || fail "service create web: $log"
passes=$(grep -c 'overlays: bringing this node in step' <<<"$log" || true)
[[ $passes == 1 ]] || fail "service create reconciled $passes times, want 1: $log"
vip=$(ectl get /weft/v1/services/web --print-value-only | jq -r .vip)
[[ $vip == 10.240.255.* ]] || fail "VIP $vip is not from ov's service block (its last)"
[[ $(ectl get /weft/v1/blocks/ov/10.240.255.0_24 --print-value-only) == *@services* ]] ||
  fail "the service block is not held for services: $(ectl get --prefix /weft/v1/blocks/ov/)"
expect_error 'already exists' on h2 weft service create web --network ov --port 80

on h1 weft create b1 --network ov --service web >/dev/null || fail "create b1"
on h2 weft create b2 --network ov --service web >/dev/null || fail "create b2"
serve h1 b1
serve h2 b2
for h in h1 h2 h3; do wait_rotation "$h" web b1,b2; done
# h3 has no container at all: it is on ov for the mesh.
deadline=$((SECONDS + 15))
until on h3 ip link show "wvx$(on h1 weft --json network inspect ov | jq -r .vni)" >/dev/null 2>&1; do
  ((SECONDS < deadline)) || fail "h3 (no container) is not on ov 15 s after the mesh service was made"
  sleep 0.2
done
[[ -z $(on h3 ip netns list) ]] || fail "h3 should have no container namespaces: $(on h3 ip netns list)"
deadline=$((SECONDS + 15))
while on h3 nft list table ip weft_mesh >/dev/null 2>&1; do
  ((SECONDS < deadline)) || fail "h3 kept the old table ip weft_mesh: $(on h3 nft list tables)"
  sleep 0.2
done
on h3 weft service ls | has -E "^web +ov +$vip +80/tcp,8080->80/tcp +tcp +2/2" || fail "h3: service ls: $(on h3 weft service ls)"
ok "service web: VIP $vip, backends b1 (h1) and b2 (h2) in rotation on all three nodes"

# --- the mesh: through every node, to both backends, with the client's address ------------------

for h in h1 h2 h3; do
  out=$(through "${CLUSTER_ADDR[$h]}" 8080 24)
  if grep -q FAILED <<<"$out"; then
    mesh_picture
    fail "through $h: connections failed: $(sort <<<"$out" | uniq -c)"
  fi
  got=$(awk '{print $1}' <<<"$out" | sort -u | tr '\n' ' ')
  [[ $got == "b1 b2 " ]] || fail "through $h: 24 connections reached [$got], want both backends"
  seen=$(awk '{print $2}' <<<"$out" | sort -u | tr '\n' ' ')
  [[ $seen == "$client " ]] || fail "through $h: the backends saw [$seen], want the client's own $client"
done
ok "the mesh: 8080 on every node (h3 without any container) reaches b1 and b2, and both see the client's address $client"
on h3 weft create c3 --network ov >/dev/null || fail "create c3"

# Inside the cluster: the VIP and the name, from the node without a backend.
resolves h3 c3 web || fail "c3 (h3) cannot resolve web"
[[ $(inside h3 c3 getent hosts web | awk '{print $1}') == "$vip" ]] || fail "web does not resolve to $vip on h3"
c3=$(ip_of h3 c3)
for _ in 1 2 3 4 5 6; do
  out=$(printf x | inside h3 c3 socat -t3 -T3 - "TCP4:$vip:80,connect-timeout=2") || fail "c3 -> $vip:80 failed"
  [[ $out == "b"[12]" $c3" ]] || fail "c3 -> VIP: the backend answered [$out], want it to see $c3"
done
ok "from c3 on h3: web resolves to the VIP, and the VIP reaches a backend that sees c3's address"

# --- IPv6: a service with an IPv6 VIP, through every node's IPv6 address --------------------------

on h1 weft service create web6 --network ov --ipv6 --port 81 --publish 8086:81 \
  --health tcp --health-interval 300ms --backend b1 >/dev/null || fail "service create web6 --ipv6"
on h2 weft service add-backend web6 b2 >/dev/null || fail "add-backend web6 b2"
vip6=$(ectl get /weft/v1/services/web6 --print-value-only | jq -r .vip)
[[ $vip6 == fd40::ffff:0:0:* ]] || fail "IPv6 VIP $vip6 is not from ov's IPv6 service block (its last /80)"
serve h1 b1 81 6
serve h2 b2 81 6
for h in h1 h2 h3; do wait_rotation "$h" web6 b1,b2; done
for h in h1 h2 h3; do
  out=$(through "${CLUSTER_ADDR6[$h]}" 8086 24 6)
  if grep -q FAILED <<<"$out"; then
    mesh_picture
    fail "through $h over IPv6: connections failed: $(sort <<<"$out" | uniq -c)"
  fi
  got=$(awk '{print $1}' <<<"$out" | sort -u | tr '\n' ' ')
  [[ $got == "b1 b2 " ]] || fail "through $h over IPv6: 24 connections reached [$got], want both backends"
  # shellcheck disable=SC2046
  seen=$(canon6 $(awk '{print $2}' <<<"$out" | sort -u))
  [[ $seen == "$client6" ]] || fail "through $h over IPv6: the backends saw [$seen], want the client's own $client6"
done
[[ $(on h3 ip -6 rule show | grep -c fwmark) == 2 ]] || fail "h3 has no IPv6 mesh rule per other node: $(on h3 ip -6 rule show)"
resolves h3 c3 web6 || fail "c3 (h3) cannot resolve web6"
[[ $(inside h3 c3 getent ahostsv6 web6 | awk 'NR == 1 {print $1}') == "$vip6" ]] || fail "web6 does not resolve to $vip6 on h3"
c3v6=$(on h3 weft --json inspect c3 | jq -r '.networks[] | select(.network == "ov") | .ipv6')
for _ in 1 2 3 4; do
  out=$(printf x | inside h3 c3 socat -t3 -T3 - "TCP6:[$vip6]:81,connect-timeout=2") || fail "c3 -> [$vip6]:81 failed"
  [[ $out == "b"[12]" "* && $(canon6 "${out#* }") == "$c3v6" ]] || fail "c3 -> IPv6 VIP: the backend answered [$out], want it to see $c3v6"
done
on h2 weft service rm web6 >/dev/null || fail "service rm web6"
ok "IPv6: web6's VIP $vip6, 8086 through every node's IPv6 address reaches b1 and b2, which see the client's $client6; the VIP and its AAAA name from c3"

# --- a backend that fails its checks leaves every node's rotation ----------------------------------

on h2 pkill -f "TCP4-LISTEN:80" || fail "stop b2's server"
t0=$EPOCHREALTIME
for h in h1 h2 h3; do wait_rotation "$h" web b1; done
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
out=$(through "${CLUSTER_ADDR[h3]}" 8080 10)
[[ $(awk '{print $1}' <<<"$out" | sort -u) == b1 ]] || fail "through h3 after b2 failed: $(sort <<<"$out" | uniq -c)"
serve h2 b2
for h in h1 h2 h3; do wait_rotation "$h" web b1,b2; done
ok "b2 failing its checks on h2 left the rotation of all three nodes (all three said so ${took} s after its server died; checks every 300 ms, out after 2), and came back"

# --- --local: each node to its own backends ----------------------------------------------------

on h1 weft service create loc --network ov --port 80 --publish 8081:80 --local --health none >/dev/null ||
  fail "service create loc"
on h1 weft service add-backend loc b1 || fail "add-backend loc b1"
on h2 weft service add-backend loc b2 || fail "add-backend loc b2"
for h in h1 h2 h3; do wait_rotation "$h" loc b1,b2; done
[[ $(through "${CLUSTER_ADDR[h1]}" 8081 8 | awk '{print $1}' | sort -u) == b1 ]] || fail "--local through h1 left h1"
[[ $(through "${CLUSTER_ADDR[h2]}" 8081 8 | awk '{print $1}' | sort -u) == b2 ]] || fail "--local through h2 left h2"
[[ $(through "${CLUSTER_ADDR[h3]}" 8081 2 | sort -u) == FAILED ]] || fail "--local through h3 (no backend there) was answered"
# The VIP is the cluster's: c3 on h3 (no backend there) reaches both.
locvip=$(ectl get /weft/v1/services/loc --print-value-only | jq -r .vip)
got=$(for _ in $(seq 12); do printf x | inside h3 c3 socat -t3 -T3 - "TCP4:$locvip:80,connect-timeout=2" | awk '{print $1}'; done | sort -u | tr '\n' ' ')
[[ $got == "b1 b2 " ]] || fail "--local: c3 on h3 reached [$got] through the VIP $locvip, want both backends"
ok "--local: through h1 only b1, through h2 only b2, h3 (none) refuses; the VIP $locvip reaches both from h3"

# --- a node whose container already publishes the mesh's port ------------------------------

on h2 weft create p2 --network ov -p 9090:80 >/dev/null || fail "create p2 -p 9090:80 on h2"
serve h2 p2
on h1 weft service create pub --network ov --port 80 --publish 9090:80 --health none --backend b1 >/dev/null ||
  fail "service create pub"
for h in h1 h2 h3; do wait_rotation "$h" pub b1; done
[[ $(through "${CLUSTER_ADDR[h1]}" 9090 4 | awk '{print $1}' | sort -u) == b1 ]] || fail "9090 through h1 is not the mesh"
[[ $(through "${CLUSTER_ADDR[h2]}" 9090 4 | awk '{print $1}' | sort -u) == p2 ]] || fail "9090 through h2 is not p2's any more"
on h2 weft create z2 --network ov >/dev/null || fail "h2's table cannot be built with the conflicting port"
on h2 weft rm z2 p2 >/dev/null || fail "rm z2 p2"
on h2 weft service rm pub >/dev/null || fail "service rm pub"
ok "a container publishing the mesh's port on h2 keeps it there; h1's 9090 is the mesh's, and h2 keeps working"

# --- a service of a network no node hosts yet: listed from the cluster's record ---------------

on h1 weft network create ow --driver overlay --subnet 10.241.0.0/16 >/dev/null || fail "create ow"
on h1 weft service create db --network ow --port 5432 --health none >/dev/null || fail "service create db"
on h3 weft service ls | has -E "^db +ow +10\.241\.255\.1 +5432/tcp +none +-" || fail "h3: service ls without db: $(on h3 weft service ls)"
on h3 weft service inspect db | jq -e '.hosted_here == false and .scope == "mesh" and (.backends | length) == 0' >/dev/null ||
  fail "h3: service inspect db: $(on h3 weft service inspect db)"
on h2 weft service rm db >/dev/null || fail "service rm db"
on h1 weft network rm ow >/dev/null || fail "network rm ow"
ok "a service of a network no node hosts is listed on every node from its record (backends: -)"

# --- removal, everywhere -------------------------------------------------------------------

# h3's last container goes; the mesh keeps h3 on ov (web publishes through it).
vni=$(on h1 weft --json network inspect ov | jq -r .vni)
on h3 weft rm c3 >/dev/null || fail "rm c3"
on h3 ip link show "wvx$vni" >/dev/null 2>&1 || fail "h3 left ov with its last container although web publishes through it"
[[ $(through "${CLUSTER_ADDR[h3]}" 8080 4 | awk '{print $2}' | sort -u) == "$client" ]] || fail "8080 through h3 stopped after rm c3"

on h2 weft service rm loc || fail "service rm loc"
on h3 weft service rm web || fail "service rm web"
[[ -z $(ectl get --prefix --keys-only /weft/v1/services/) ]] || fail "service records left in etcd"
[[ -z $(ectl get --prefix --keys-only /weft/v1/vips/) ]] || fail "VIP claims left in etcd"
for h in h1 h2 h3; do
  deadline=$((SECONDS + 10))
  until [[ -z $(on "$h" weft service ls --json | jq -r '.[].name') ]]; do
    ((SECONDS < deadline)) || fail "$h still lists services: $(on "$h" weft service ls)"
    sleep 0.2
  done
  [[ $(through "${CLUSTER_ADDR[$h]}" 8080 1) == FAILED ]] || fail "8080 still answers on $h after service rm"
done
ok "service rm (from any node): gone from etcd and from every node's rules"

# h3 was on ov only for the mesh: it leaves, with its mesh rules and table.
deadline=$((SECONDS + 10))
while on h3 ip link show "wvx$vni" >/dev/null 2>&1; do
  ((SECONDS < deadline)) || fail "h3 is still on ov 10 s after the last mesh service went"
  sleep 0.2
done
[[ -z $(on h3 ip rule show | grep -v -E 'lookup (local|main|default)') ]] ||
  fail "h3 kept mesh rules: $(on h3 ip rule show)"
[[ -z $(on h3 ip -6 rule show | grep -v -E 'lookup (local|main)') ]] ||
  fail "h3 kept IPv6 mesh rules: $(on h3 ip -6 rule show)"
on h3 nft list table inet weft_mesh >/dev/null 2>&1 && fail "h3 kept table inet weft_mesh"
ectl get --prefix --print-value-only /weft/v1/blocks/ov/ | grep -q '"node":"h3"' && fail "h3 kept a block of ov"
ok "h3, on ov only for the mesh, left it when the service went: no device, rules, table or block left"
