# Containers on bridge networks: the seed's "after" picture, TCP both ways
# over IPv4 and IPv6, isolation until connect, NAT to the outside, internal
# networks, host and none modes, exec/run, and clean removal.
source "$(dirname "$0")/lib.sh"
make_outside

weft network create net1 --ipv6 >/dev/null
weft network create net2 >/dev/null

# Before: a fresh namespace is lo only. After: lo + eth0 + default route.
weft create c1 --network net1 --hostname web >/dev/null
after=$(weft ns inspect c1 --json)
jq -e '[.interfaces[].name] == ["lo","eth0"]' <<<"$after" >/dev/null || fail "c1 interfaces: $after"
jq -e '.interfaces[] | select(.name=="lo") | .state == "up"' <<<"$after" >/dev/null || fail "lo up"
jq -e '[.routes[] | select(.dst=="default" and .dev=="eth0")] | length == 2' <<<"$after" >/dev/null || fail "v4+v6 default routes: $after"
ip -n c1 -j route show default | jq -e '.[0].gateway == "10.89.0.1"' >/dev/null || fail "kernel: default via gateway"
# IPv6 usable at once: not tentative.
ip -n c1 -j -6 addr show dev eth0 scope global | jq -e '.[0].addr_info[0] | has("tentative") | not' >/dev/null || fail "v6 address tentative"
ok "after picture: lo + eth0 with addresses, default routes via the gateway"
# The veth was made before the state lock, with the kernel's MAC, and
# adopted under it: the inner end has the MAC of its IPv4 address (its
# link-local address follows it), the host end is on net1's bridge, tagged,
# up, in hairpin mode.
ip1=$(container_ipv4 c1)
want_mac=$(printf '02:57:%02x:%02x:%02x:%02x' ${ip1//./ })
[[ $(ip -n c1 -j link show eth0 | jq -r '.[0].address') == "$want_mac" ]] || fail "c1's eth0 MAC is not $want_mac"
IFS=: read -r m0 m1 m2 m3 m4 m5 <<<"$want_mac"
want_ll=$(printf 'fe80::%x:%xff:fe%s:%x' $(((0x$m0 ^ 2) << 8 | 0x$m1)) $((0x$m2)) "$m3" $((0x$m4 << 8 | 0x$m5)))
[[ $(ip -n c1 -j -6 addr show dev eth0 scope link | jq -r '.[0].addr_info[] | select(.local) | .local') == "$want_ll" ]] ||
  fail "c1's link-local address is not $want_ll (from its MAC): $(ip -n c1 -6 -br addr show dev eth0)"
host_end=$(weft --json inspect c1 | jq -r '.networks[0].host_interface')
br1=$(weft --json network inspect net1 | jq -r .bridge)
link=$(ip -d -j link show "$host_end")
[[ $(jq -r '.[0] | "\(.master) \(.operstate) \(.ifalias) \(.linkinfo.info_slave_data.hairpin)"' <<<"$link") == "$br1 UP weft container c1 network net1 true" ]] ||
  fail "c1's host end $host_end: $(jq -c '.[0] | {master, operstate, ifalias, hairpin: .linkinfo.info_slave_data.hairpin}' <<<"$link")"
# A bridge port needs no IPv6 of its own (each interface's IPv6 routes
# slowed every later attach on a busy host).
[[ -z $(ip -6 -o addr show dev "$host_end") ]] || fail "$host_end has IPv6 addresses: $(ip -6 -o addr show dev "$host_end")"
ok "c1's veth: eth0 has MAC $want_mac (from its address) and link-local $want_ll; $host_end is on $br1, up, tagged, hairpin, without IPv6"

weft create c2 --network net1 >/dev/null
ip1=$(container_ipv4 c1); ip2=$(container_ipv4 c2)
ip61=$(container_ipv6 c1); ip62=$(container_ipv6 c2)
[[ $ip1 != "$ip2" && $ip61 != "$ip62" ]] || fail "duplicate addresses"

# TCP both ways, IPv4 and IPv6; the server sees the real peer.
serve_peer c1 0.0.0.0 7001
serve_peer c2 0.0.0.0 7001
serve_peer c1 :: 7006
serve_peer c2 :: 7006
[[ $(tcp_send c2 "$ip1" 7001 x) == "$ip2" ]] || fail "c2 -> c1 v4"
[[ $(tcp_send c1 "$ip2" 7001 x) == "$ip1" ]] || fail "c1 -> c2 v4"
[[ $(canon "$(tcp_send c2 "$ip61" 7006 x)") == "$ip62" ]] || fail "c2 -> c1 v6"
[[ $(canon "$(tcp_send c1 "$ip62" 7006 x)") == "$ip61" ]] || fail "c1 -> c2 v6"
serve_echo c1 0.0.0.0 7002
payload=$(head -c 65536 /dev/urandom | base64 -w0)
[[ $(tcp_send c2 "$ip1" 7002 "$payload") == "$payload" ]] || fail "64 KiB echo"
ok "TCP both ways over IPv4 and IPv6; 64 KiB echoed intact"

# Another network cannot reach net1 until connected.
weft create c3 --network net2 >/dev/null
ip3=$(container_ipv4 c3)
tcp_send c3 "$ip1" 7001 x >/dev/null 2>&1 && fail "net2 reached net1 before connect"
weft connect net1 c3
ip -n c3 -j link show eth1 >/dev/null || fail "c3 has no eth1"
[[ $(tcp_send c3 "$ip1" 7001 x) == "$(container_ipv4 c3 eth1)" ]] || fail "c3 -> c1 after connect"
weft disconnect net1 c3
ip -n c3 link show eth1 >/dev/null 2>&1 && fail "eth1 left after disconnect"
tcp_send c3 "$ip1" 7001 x >/dev/null 2>&1 && fail "reached net1 after disconnect"
ok "networks isolated until weft connect; disconnect restores isolation"

# NAT: the outside server sees the host's uplink address.
serve_peer outside 198.51.100.2 80
serve_peer outside 2001:db8:100::2 80
[[ $(tcp_send c1 198.51.100.2 80 x) == 198.51.100.1 ]] || fail "v4 NAT source"
[[ $(tcp_send c3 198.51.100.2 80 x) == 198.51.100.1 ]] || fail "v4 NAT from net2"
[[ $(canon "$(tcp_send c1 2001:db8:100::2 80 x)") == 2001:db8:100::1 ]] || fail "v6 NAT source"
ok "outbound through the uplink, masqueraded to 198.51.100.1 (and v6)"

# Internal: no way out.
weft network create sealed --internal >/dev/null
weft create c4 --network sealed >/dev/null
tcp_send c4 198.51.100.2 80 x >/dev/null 2>&1 && fail "internal network reached outside"
ok "internal network cannot reach outside"

# Static addresses, and refusals that change nothing.
weft create c5 --network net1 --ip 10.89.0.200 >/dev/null
[[ $(container_ipv4 c5) == 10.89.0.200 ]] || fail "static ip"
before=$(snapshot)
expect_error 'already in use' weft create c6 --network net1 --ip 10.89.0.200
expect_error 'not in subnet' weft create c6 --network net1 --ip 10.9.9.9
expect_error 'gateway' weft create c6 --network net1 --ip 10.89.0.1
expect_error 'invalid IP address' weft create c6 --network net1 --ip 10.89.0.x
expect_error 'no network "nope"' weft create c6 --network nope
expect_error 'container "c1" already exists' weft create c1 --network net1
expect_error 'longer than 63' weft create "$(printf 'c%.0s' {1..64})"
expect_error 'no container "zz"' weft rm zz
expect_error 'already on network' weft connect net1 c1
expect_error 'not on network' weft disconnect net2 c1
[[ $(snapshot) == "$before" ]] || fail "a refused command changed kernel or store"
ok "bad input refused, nothing changed"

# Exhausted subnet.
weft network create tiny --subnet 10.123.0.0/30 >/dev/null
weft create t1 --network tiny >/dev/null
before=$(snapshot)
expect_error 'no free address' weft create t2 --network tiny
[[ $(snapshot) == "$before" ]] || fail "exhaustion changed something"

# exec: the container's network, hostname, hosts and resolv.conf.
[[ $(weft exec c1 -- hostname) == web ]] || fail "hostname"
weft exec c1 -- cat /etc/hosts | has "^$ip1	web c1$" || fail "hosts file: $(weft exec c1 -- cat /etc/hosts)"
weft exec c1 -- ip -j addr show dev eth0 | jq -e --arg a "$ip1" '.[0].addr_info | map(.local) | index($a) != null' >/dev/null || fail "exec sees eth0"
weft exec c1 -- ls /sys/class/net | has -x eth0 || fail "/sys shows the container's links"
ok "exec runs inside with its own hostname, /etc/hosts and /sys"

# run: create + exec (+ rm).
out=$(weft run --rm --name r1 --network net1 -- sh -c 'ip -j -4 addr show dev eth0')
jq -e '.[0].addr_info[0].local | startswith("10.89.0.")' <<<"$out" >/dev/null || fail "run output: $out"
weft inspect r1 >/dev/null 2>&1 && fail "run --rm left r1"
rc=0; weft run --rm --network net1 -- sh -c 'exit 7' || rc=$?
[[ $rc == 7 ]] || fail "run exit code $rc"
ok "run --rm: attached while running, gone after; exit code passed through"

# host and none modes.
[[ $(weft run --rm --network host -- ip -j link show uplink0 | jq -r '.[0].ifname') == uplink0 ]] || fail "host mode sees uplink0"
[[ $(weft run --rm --network none -- ip -j link show | jq -c '[.[].ifname]') == '["lo"]' ]] || fail "none mode lo only"
weft create n0 --network none >/dev/null
ip -n n0 -j link show lo | jq -e '.[0].flags | index("UP")' >/dev/null || fail "none: lo up"
ok "host mode shares the host namespace; none mode has lo only"

# ps / inspect JSON shape.
weft ps --json | jq -e '.[] | select(.name=="c1") | .netns and (.networks[0] | .network=="net1" and .interface=="eth0" and .ipv4 and .ipv6)' >/dev/null || fail "ps --json"
weft inspect c1 | jq -e '.networks[0].ipv4 == "'"$ip1"'"' >/dev/null || fail "inspect"
weft network inspect net1 | jq -e '[.containers[].name] | index("c1") != null' >/dev/null || fail "network inspect containers"

# weft rm ends what still runs in the container: its namespace, and the
# veths with it, go with the last process.
weft create busy --network net1 >/dev/null
ip netns exec busy sleep 1000 &
sleeper=$!
for _ in $(seq 100); do [[ $(readlink "/proc/$sleeper/ns/net") == "$(readlink /proc/self/ns/net)" ]] || break; sleep 0.02; done
weft rm busy >/dev/null
for _ in $(seq 100); do kill -0 "$sleeper" 2>/dev/null || break; sleep 0.05; done
kill -0 "$sleeper" 2>/dev/null && fail "weft rm left a process running in the container's namespace"
wait "$sleeper" 2>/dev/null || true
ok "rm: the process still in the container ended with it"

# Removal leaves nothing: no veth, namespace, lease or record. The veths go
# with their namespaces, which the kernel tears down in the background.
for c in $(weft ps --json | jq -r '.[].name'); do weft rm "$c"; done
for n in $(weft network ls --json | jq -r '.[].name'); do weft network rm "$n"; done
weft_links() { ip -j link show | jq '[.[] | select(.ifname | startswith("veth") or startswith("weft"))] | length'; }
for _ in $(seq 100); do [[ $(weft_links) == 0 ]] && break; sleep 0.05; done
[[ $(weft_links) == 0 ]] || fail "links left: $(ip -br link)"
[[ $(ls "$WEFT_NETNS_DIR" | grep -vx outside | wc -l) == 0 ]] || fail "namespaces left: $(ls $WEFT_NETNS_DIR)"
[[ $(sqlite3 "$WEFT_STATE_DIR/weft.db" 'select count(*) from endpoints') == 0 ]] || fail "leases left"
ok "030-containers"
