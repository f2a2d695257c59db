# Published ports and isolation: DNAT through nft maps (constant rule count),
# reachable from outside, the host, other containers and the owner; networks
# walled off; --internal and --icc=false; weft reconcile after a flush.
source "$(dirname "$0")/lib.sh"
make_outside

weft network create front --ipv6 >/dev/null
weft create web --network front -p 8080:80 -p 127.0.0.1:8081:80 \
  -p 9000-9002:7000-7002/udp -p '[2001:db8:100::1]:8443:80' >/dev/null
weft create peer --network front >/dev/null
web4=$(container_ipv4 web)

# In web: TCP :80 answers with the client address it sees; UDP 7000-7002
# answer "udpPORT from ADDR".
serve_peer web :: 80
for p in 7000 7001 7002; do
  ip netns exec web socat UDP4-RECVFROM:$p,fork SYSTEM:"head -c1 >/dev/null; echo udp$p from \$SOCAT_PEERADDR" &
done
for p in 7000 7001 7002; do
  for _ in $(seq 100); do ip netns exec web ss -Huln "sport = :$p" | has . && break; sleep 0.05; done
done
udp_send() { printf x | timeout 5 ip netns exec "$1" socat -t3 -T3 - "UDP4:$2:$3"; }

# From outside: the container sees the outside client's own address.
[[ $(canon "$(tcp_send outside 198.51.100.1 8080 x)") == 198.51.100.2 ]] || fail "outside -> 8080"
[[ $(canon "$(tcp_send outside 2001:db8:100::1 8443 x)") == "2001:db8:100::2" ]] || fail "outside -> [v6]:8443"
[[ $(udp_send outside 198.51.100.1 9001) == "udp7001 from 198.51.100.2" ]] || fail "outside -> udp 9001"
[[ $(udp_send outside 198.51.100.1 9002) == "udp7002 from 198.51.100.2" ]] || fail "outside -> udp 9002"
ok "from outside: tcp 8080, v6 8443, udp range; source address preserved"

# 127.0.0.1:8081 is bound to localhost only: outside cannot use it.
tcp_send outside 198.51.100.1 8081 x >/dev/null 2>&1 && fail "8081 (127.0.0.1 only) reachable from outside"
# From the host itself: its own address and localhost.
host_send() { printf x | timeout 5 socat -T2 - "TCP4:$1:$2,connect-timeout=2"; }
[[ -n $(host_send 198.51.100.1 8080) ]] || fail "host -> own address 8080"
[[ -n $(host_send 127.0.0.1 8080) ]] || fail "host -> localhost 8080"
[[ -n $(host_send 127.0.0.1 8081) ]] || fail "host -> localhost 8081"
[[ $(printf x | timeout 5 socat -t3 -T3 - UDP4:127.0.0.1:9000) == udp7000* ]] || fail "host -> udp localhost 9000"
ok "from the host: own address and localhost, tcp and udp"

# From another container and from the owner (hairpin).
[[ -n $(tcp_send peer 198.51.100.1 8080 x) ]] || fail "peer -> published port"
[[ -n $(tcp_send web 198.51.100.1 8080 x) ]] || fail "web -> its own published port (hairpin)"
[[ $(udp_send web 198.51.100.1 9000) == udp7000* ]] || fail "web -> own udp port (hairpin)"
ok "from another container and from the owner itself (hairpin)"

# ps and inspect show the mappings.
weft ps | has '\*:8080->80/tcp' || fail "ps lacks ports"
weft inspect web | jq -e '[.ports[] | select(.protocol=="udp")] | length == 3' >/dev/null || fail "inspect ports"

# Unpublished ports are unreachable from outside, even routing straight to
# the container subnet; published ones work through the host address only.
ip -n outside route add 10.89.0.0/24 via 198.51.100.1
serve_peer web :: 81
tcp_send outside "$web4" 81 x >/dev/null 2>&1 && fail "unpublished port reachable from outside"
tcp_send outside "$web4" 80 x >/dev/null 2>&1 && fail "container port reachable directly from outside"
[[ -n $(tcp_send outside 198.51.100.1 8080 x) ]] || fail "published port no longer works"
ok "unpublished (and direct) container ports unreachable from outside"

# Conflicts and bad input: one line, nothing changed.
before=$(snapshot)
expect_error 'already published by container "web"' weft create x --network front -p 8080:80
expect_error 'already published by container "web"' weft create x --network front -p 198.51.100.1:8080:80
expect_error 'out of range' weft create x --network front -p 70000:80
expect_error 'not a number' weft create x --network front -p abc:80
expect_error 'differ in length' weft create x --network front -p 9100-9102:80-81
expect_error 'unknown protocol' weft create x --network front -p 8090:80/sctp
expect_error 'has no address 192.0.2.77' weft create x --network front -p 192.0.2.77:8090:80
expect_error 'given twice' weft create x --network front -p 8090:80 -p 8090:81
expect_error 'want \[HOST_IP:\]' weft create x --network front -p 80
[[ $(snapshot) == "$before" ]] || fail "a refused -p changed something"
ok "bad and conflicting mappings refused, nothing changed"

# Isolation between networks, both directions, until connect.
weft network create back >/dev/null
weft create db --network back >/dev/null
db4=$(container_ipv4 db)
serve_peer db 0.0.0.0 5432
tcp_send web "$db4" 5432 x >/dev/null 2>&1 && fail "front reached back"
tcp_send db "$web4" 80 x >/dev/null 2>&1 && fail "back reached front"
weft connect back web
[[ -n $(tcp_send web "$db4" 5432 x) ]] || fail "connected container cannot reach back"
ok "networks isolated both ways; a container on both reaches both"

# --internal: no way out; --icc=false: no container-to-container, except
# through a published port.
weft network create vault --internal >/dev/null
weft create safe --network vault >/dev/null
serve_peer outside 198.51.100.2 80
tcp_send safe 198.51.100.2 80 x >/dev/null 2>&1 && fail "internal network reached outside"
[[ $(tcp_send peer 198.51.100.2 80 x) == 198.51.100.1 ]] || fail "non-internal network cannot reach outside"
weft network create quiet --icc=false >/dev/null
weft create q1 --network quiet -p 8181:80 >/dev/null
weft create q2 --network quiet >/dev/null
serve_peer q1 0.0.0.0 80
tcp_send q2 "$(container_ipv4 q1)" 80 x >/dev/null 2>&1 && fail "icc=false: q2 reached q1 directly"
[[ -n $(tcp_send q2 198.51.100.1 8181 x) ]] || fail "icc=false: published port unreachable"
[[ -n $(tcp_send peer "$web4" 80 x) ]] || fail "icc=true: peer cannot reach web directly"
ok "internal has no way out; icc=false blocks all but published ports"

# A flush breaks it; reconcile restores every mapping and NAT rule; a second
# reconcile changes nothing.
weft status >/dev/null || fail "status reports drift before the flush"
nft flush ruleset
tcp_send outside 198.51.100.1 8080 x >/dev/null 2>&1 && fail "port still works after flush"
weft status >/dev/null 2>&1 && fail "status misses the flush"
weft reconcile | has 'rebuilt' || fail "reconcile did not rebuild"
[[ -n $(tcp_send outside 198.51.100.1 8080 x) ]] || fail "port broken after reconcile"
[[ $(tcp_send peer 198.51.100.2 80 x) == 198.51.100.1 ]] || fail "NAT broken after reconcile"
rules=$(nft -j list ruleset)
[[ $(weft reconcile) == "in sync: nothing to do" ]] || fail "second reconcile did something"
[[ $(nft -j list ruleset) == "$rules" ]] || fail "second reconcile changed the ruleset"
weft status >/dev/null || fail "status after reconcile"
ok "flush breaks; reconcile restores; second reconcile is a no-op"

# Another table's forward chain that drops: status names it (150 covers the
# accept rules weft adds there).
nft add table ip other
nft add chain ip other fw '{ type filter hook forward priority 0; policy drop; }'
out=$(weft status 2>&1) || true
grep -q "ip other chain fw (hook forward) would drop weft's traffic: policy drop" <<<"$out" || fail "status does not name the drop policy: $out"
nft delete table ip other
ok "070-ports"
