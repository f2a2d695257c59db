# Services on one host (issue #14): a VIP from the network's subnet on the
# bridge, DNS names, kube-proxy-shaped nftables rules (one vmap, a chain per
# service port, numgen over the backends in rotation), health checks by
# weftd that take a dead backend out and put it back, rules that no rebuild
# brings a dead backend back into, a published ingress port that keeps the
# client's address, hairpin, no-endpoint rejection, affinity, --dns-rr,
# isolation from other networks, and bad input that changes nothing.
source "$(dirname "$0")/lib.sh"
make_outside

weft network create front >/dev/null
bridge=$(weft network inspect front | jq -r .bridge)
gw=$(weft network inspect front | jq -r '.subnets[0].gateway')
weft create client --network front >/dev/null

# A backend answers every connection with its name and the client address
# it saw: "b1 10.89.0.5".
serve_named() {
  local c=$1 port=${2:-80}
  ip netns exec "$c" socat "TCP4-LISTEN:$port,reuseaddr,fork" \
    SYSTEM:"head -c1 >/dev/null; echo $c \$SOCAT_PEERADDR" &
  echo $! >"$WEFT_STATE_DIR/serve-$c-$port.pid"
  wait_port "$c" "$port"
}
stop_named() { kill "$(cat "$WEFT_STATE_DIR/serve-$1-${2:-80}.pid")"; }
# hits NS ADDR PORT N: the backend names N connections reached, one per line.
hits() {
  local i
  for i in $(seq "$4"); do tcp_send "$1" "$2" "$3" x | awk '{print $1}' || echo FAILED; done
}
# in_rotation SERVICE: how many of its backends are in rotation, per weft.
in_rotation() { weft service inspect "$1" | jq '[.backends[] | select(.in_rotation)] | length'; }
wait_rotation() {
  for _ in $(seq 100); do
    [[ $(in_rotation "$1") == "$2" ]] && return 0
    sleep 0.1
  done
  fail "service $1: $(in_rotation "$1") backends in rotation, want $2: $(weft service inspect "$1")"
}

weft service create web --network front --port 80 --publish 8080:80 \
  --health tcp --health-interval 200ms --health-fall 2 >/dev/null
vip=$(weft service inspect web | jq -r .vip)
[[ $vip == 10.89.0.* ]] || fail "VIP $vip not from the network's subnet"
ip -j addr show dev "$bridge" | jq -e --arg v "$vip" '[.[0].addr_info[] | select(.local == $v and .prefixlen == 32)] | length == 1' >/dev/null ||
  fail "VIP $vip is not a /32 on $bridge"
ok "service web: VIP $vip on $bridge"

for b in b1 b2 b3; do
  weft create "$b" --network front --service web >/dev/null
  serve_named "$b"
done
weft create b4 --network front >/dev/null
serve_named b4
weft service add-backend web b4
wait_rotation web 4
weft service ls | has -E "^web +front +$vip +80/tcp,8080->80/tcp +tcp +4/4" || fail "service ls: $(weft service ls)"
ok "four backends joined (create --service, service add-backend) and passed their checks"
weft --json graph | jq -e --arg v "$vip" '.services[] | select(.name == "web") |
  .vip == $v and .vip_present and .scope == "host" and ([.backends[] | select(.in_rotation)] | length) == 4' >/dev/null ||
  fail "weft graph does not show web with its VIP and four backends in rotation: $(weft --json graph | jq -c .services)"
weft graph | grep -q '"svc:web" -- "ctr:b1"' || fail "weft graph's DOT has no edge from web to b1"
ok "weft graph shows the service, its VIP on the bridge and its backends"

# Rules: one vmap lookup, a chain per service port, numgen over the four.
nft list chain inet weft prerouting | has 'vmap @services' || fail "no services vmap in prerouting"
nft -j list chain inet weft svc-web-tcp-80 | jq -e '[.. | objects | select(has("numgen"))][0].numgen.mod == 4' >/dev/null ||
  fail "svc-web-tcp-80 does not choose among 4: $(nft list chain inet weft svc-web-tcp-80)"

got=$(hits client "$vip" 80 60 | sort -u | tr '\n' ' ')
[[ $got == "b1 b2 b3 b4 " ]] || fail "60 connections to the VIP reached: $got"
ok "connections to $vip:80 spread over every backend"

# Names: web and web.front resolve to the VIP (through weftd on the gateway).
[[ $(weft exec client -- getent hosts web | awk '{print $1}') == "$vip" ]] || fail "web does not resolve to the VIP"
[[ $(weft exec client -- getent hosts web.front | awk '{print $1}') == "$vip" ]] || fail "web.front does not resolve"
ok "web and web.front resolve to $vip"

# Hairpin: a backend reaches its own service (its own address included).
[[ $(hits b1 "$vip" 80 20 | grep -c FAILED) == 0 ]] || fail "b1 -> its own service failed"
hits b1 "$vip" 80 40 | has b1 || fail "b1 never reached itself through the VIP"
ok "hairpin: a backend reaches its service, itself included"

# Ingress: outside -> host:8080 reaches a backend that sees the outside
# client's own address.
seen=$(tcp_send outside 198.51.100.1 8080 x) || fail "outside -> 8080"
[[ $seen == b?" 198.51.100.2" ]] || fail "outside -> 8080: backend saw '$seen', want the client's 198.51.100.2"
ok "published 8080: from outside, the backend sees the client's address ($seen)"

# Health: a backend that stops answering leaves within fall x interval.
stop_named b2
wait_rotation web 3
weft service inspect web | jq -e '.backends[] | select(.container == "b2") | .health == "down" and (.last_change | test("refused"))' >/dev/null ||
  fail "b2 not down with a reason: $(weft service inspect web)"
got=$(hits client "$vip" 80 40)
[[ $(grep -c FAILED <<<"$got") == 0 ]] || fail "connections failed while b2 was out"
has b2 <<<"$got" && fail "b2 still reached after it failed its checks"
ok "b2 failed its checks: out of rotation, no connection lost"

# No rebuild brings it back: weft reconcile, a new network (whole table).
weft reconcile >/dev/null
weft network create other >/dev/null
got=$(hits client "$vip" 80 40)
has b2 <<<"$got" && fail "a table rebuild brought dead b2 back"
[[ $(in_rotation web) == 3 ]] || fail "rebuild changed rotation"
ok "reconcile and a whole-table rebuild keep b2 out"

serve_named b2
wait_rotation web 4
hits client "$vip" 80 40 | has b2 || fail "b2 back in rotation but never reached"
ok "b2 answers again: back in rotation"

# A change to one backend never cuts a connection to another: a client
# holds a TCP connection through the VIP while the other backend leaves.
weft service create echo --network front --port 7000 --health none --backend b3 --backend b4 >/dev/null
evip_echo=$(weft service inspect echo | jq -r .vip)
for b in b3 b4; do
  ip netns exec "$b" socat TCP4-LISTEN:7000,reuseaddr,fork SYSTEM:"echo $b; cat" &
  wait_port "$b" 7000
done
rm -f "$WEFT_STATE_DIR/held" "$WEFT_STATE_DIR/go"
ip netns exec client python3 - "$evip_echo" "$WEFT_STATE_DIR" <<'PY' &
import os, socket, sys, time
vip, d = sys.argv[1], sys.argv[2]
s = socket.create_connection((vip, 7000), timeout=10)
f = s.makefile("rw")
name = f.readline().strip()
open(d + "/held.tmp", "w").write(name)
os.rename(d + "/held.tmp", d + "/held")
while not os.path.exists(d + "/go"):
    time.sleep(0.05)
f.write("still here\n"); f.flush()
sys.exit(0 if f.readline().strip() == "still here" else 1)
PY
held_pid=$!
for _ in $(seq 100); do [[ -f $WEFT_STATE_DIR/held ]] && break; sleep 0.05; done
held=$(cat "$WEFT_STATE_DIR/held") || fail "no connection held through $evip_echo"
other=b3
[[ $held == b3 ]] && other=b4
weft service rm-backend echo "$other"
touch "$WEFT_STATE_DIR/go"
wait "$held_pid" || fail "the connection to $held was cut when $other left the service"
hits client "$evip_echo" 7000 10 | has "$other" && fail "$other still reached after rm-backend"
weft service rm echo
ok "a connection to $held outlives $other leaving the service"

# rm-backend plans from the one service's rows; when the kernel refuses its
# change (weft's table deleted behind its back), the whole table is rebuilt
# from the store: every service's chains and the change itself.
weft service create pair --network front --port 7000 --health none --backend b3 --backend b4 >/dev/null
pvip=$(weft service inspect pair | jq -r .vip)
nft delete table inet weft
weft service rm-backend pair b4
nft list chain inet weft svc-web-tcp-80 | has dnat || fail "web's chain not rebuilt: $(nft list table inet weft)"
got=$(hits client "$pvip" 7000 8 | sort -u | tr '\n' ' ')
[[ $got == *b3* && $got != *b4* && $got != *FAILED* ]] || fail "pair after rm-backend b4 on a rebuilt table: $got"
hits client "$vip" 80 4 | has FAILED && fail "web unreachable after the rebuild"
weft service rm pair
ok "a backend change on a table deleted behind weft's back rebuilds it whole from the store"

# UDP flows follow health: a flow pinned to a backend that fails its check
# moves on (its conntrack entries are deleted), though its UDP server lives.
weft service create dns --network front --port 80 --port 5353/udp --health tcp --health-interval 200ms \
  --backend b3 --backend b4 >/dev/null
dvip=$(weft service inspect dns | jq -r .vip)
for b in b3 b4; do
  ip netns exec "$b" socat UDP4-RECVFROM:5353,fork SYSTEM:"head -c1 >/dev/null; echo $b" &
done
wait_rotation dns 2
udp_from() {  # one datagram from source port 40000, the reply's first word
  ip netns exec client python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 40000)); s.settimeout(3)
s.sendto(b"x", (sys.argv[1], 5353))
print(s.recvfrom(100)[0].decode().split()[0])' "$dvip"
}
first=$(udp_from) || fail "no UDP answer through $dvip"
[[ $(udp_from) == "$first" ]] || fail "one UDP flow reached two backends"
stop_named "$first"  # its TCP check fails; its UDP server keeps answering
wait_rotation dns 1
second=$(udp_from) || fail "no UDP answer after $first left"
[[ $second != "$first" ]] || fail "the UDP flow stayed on $first after it failed its check"
serve_named "$first"
wait_rotation dns 2
ok "UDP: the flow pinned to $first moved to $second when $first failed its check"
# The same when the backend is taken out by hand.
pinned=$(udp_from) || fail "no UDP answer through $dvip"
weft service rm-backend dns "$pinned"
moved=$(udp_from) || fail "no UDP answer after rm-backend $pinned"
[[ $moved != "$pinned" ]] || fail "the UDP flow stayed on $pinned after rm-backend"
weft service rm dns
ok "UDP: the flow pinned to $pinned moved to $moved when it left by rm-backend"

# No endpoint: refused at once, as is a port the service does not have.
weft service create empty --network front --port 90 >/dev/null
evip=$(weft service inspect empty | jq -r .vip)
# "Connection refused", not "timed out": the reject answered (no bound on
# the time, which a busy machine stretches).
err=$(printf x | ip netns exec client socat -T2 - "TCP4:$evip:90,connect-timeout=5" 2>&1) && fail "empty service answered"
[[ $err == *"Connection refused"* ]] || fail "empty service: $err"
err=$(printf x | ip netns exec client socat -T2 - "TCP4:$vip:22,connect-timeout=5" 2>&1) && fail "VIP port 22 answered"
[[ $err == *"Connection refused"* ]] || fail "VIP port 22: $err"
ok "no backend, or a port the service lacks: refused at once"
doc=$(weft doctor --json 2>/dev/null) && fail "doctor exits 0 with a service that has no backend"
jq -e '[.findings[] | select(.check == "service" and (.problem | startswith("service empty has no backends")))] | length == 1' <<<"$doc" >/dev/null ||
  fail "doctor does not name the empty service: $doc"
jq -e '[.findings[] | select(.check == "service" and (.problem | contains("service web")))] | length == 0' <<<"$doc" >/dev/null ||
  fail "doctor names web, which has backends in rotation: $doc"
ok "weft doctor names the service without backends"

# Another network's containers do not reach the VIP.
weft create stranger --network other >/dev/null
tcp_send stranger "$vip" 80 x >/dev/null 2>&1 && fail "a container on another network reached the VIP"
ok "isolation: another network cannot use the service"

# Affinity: one client keeps its backend.
weft service create sticky --network front --port 80 --affinity client-ip --health none \
  --backend b1 --backend b3 --backend b4 >/dev/null
svip=$(weft service inspect sticky | jq -r .vip)
[[ $(hits client "$svip" 80 15 | sort -u | wc -l) == 1 ]] || fail "affinity: one client reached several backends"
ok "affinity client-ip: 15 connections, one backend"

# --dns-rr: the name answers with the backends' addresses.
weft service create rr --network front --port 80 --dns-rr --health none --backend b1 --backend b3 >/dev/null
want=$(for b in b1 b3; do container_ipv4 "$b"; done | sort | tr '\n' ' ')
got=$(weft exec client -- getent ahostsv4 rr | awk '{print $1}' | sort -u | tr '\n' ' ')
[[ $got == "$want" ]] || fail "rr resolves to '$got', want '$want'"
ok "--dns-rr: rr resolves to its backends ($got)"

# IPv6: a VIP from the network's IPv6 subnet, checked and reached over IPv6.
weft network create six --ipv6 >/dev/null
sub6=$(weft network inspect six | jq -r '.subnets[] | select(.subnet | contains(":")) | .subnet')
weft create s1 --network six >/dev/null
weft create c6 --network six >/dev/null
ip netns exec s1 socat TCP6-LISTEN:80,reuseaddr,fork SYSTEM:"head -c1 >/dev/null; echo s1" &
wait_port s1 80
vip6="${sub6%/*}fe"
weft service create web6 --network six --port 80 --vip "$vip6" --backend s1 --health tcp --health-interval 200ms >/dev/null
wait_rotation web6 1
[[ $(tcp_send c6 "$vip6" 80 x) == s1 ]] || fail "no answer through IPv6 VIP $vip6"
weft service rm web6
# --ipv6: the lowest free address of the IPv6 subnet, without naming it.
weft service create auto6 --network six --port 80 --ipv6 --backend s1 --health none >/dev/null ||
  fail "service create --ipv6"
auto6=$(weft service inspect auto6 | jq -r .vip)
[[ $auto6 == *:* && $(tcp_send c6 "$auto6" 80 x) == s1 ]] || fail "--ipv6 VIP [$auto6] not IPv6 or not answered"
weft service rm auto6
expect_error --rc 3 'is not an IPv6 address' weft service create x --network six --port 80 --ipv6 --vip 10.1.2.3
expect_error 'has no IPv6 subnet' weft service create x --network front --port 80 --ipv6
ok "IPv6: VIP $vip6 checked and reached; --ipv6 picks $auto6"

# Bad input: one line, nothing changed.
before=$(snapshot)
expect_error --rc 4 'no network "nope"' weft service create x --network nope --port 80
expect_error 'at least one --port|--port is required' weft service create x --network front
expect_error 'has no port 81/tcp' weft service create x --network front --port 80 --publish 9000:81
expect_error --rc 5 'host port 8080/tcp is already published by service "web"' weft service create x --network front --port 80 --publish 8080:80
expect_error 'is not tcp, http:/PATH or none' weft service create x --network front --port 80 --health ping
expect_error 'is not 100ms..1h' weft service create x --network front --port 80 --health-interval 5ms
expect_error --rc 5 'service "web" already exists' weft service create web --network front --port 80
expect_error 'is not a port' weft service create x --network front --port 0
expect_error 'needs an overlay network' weft service create x --network front --port 80 --mesh
expect_error --rc 5 'already in use' weft service create x --network front --port 80 --vip "$(container_ipv4 b1)"
expect_error --rc 5 'already backs service "web"' weft service add-backend web b1
expect_error 'has no address on network "front"' weft service add-backend web stranger
expect_error --rc 4 'no service "ghost"' weft create y --network front --service ghost
expect_error --rc 6 'has services "empty", "rr", "sticky", "web"' weft network rm --force front
[[ $(snapshot) == "$before" ]] || fail "a refused command changed something"
ok "bad input refused, nothing changed"

# A removed container leaves its services.
weft rm b1 >/dev/null
weft service inspect web | jq -e '[.backends[].container] | index("b1") == null' >/dev/null || fail "b1 still a backend"
hits client "$vip" 80 30 | has b1 && fail "removed b1 still reached"
ok "weft rm: the container leaves its services"

# service rm: the VIP, its rules and names go.
for s in web empty sticky rr; do weft service rm "$s"; done
ip -j addr show dev "$bridge" | jq -e --arg v "$vip" '[.[0].addr_info[] | select(.local == $v)] | length == 0' >/dev/null || fail "VIP left on $bridge"
nft list table inet weft | has -E 'svc-|ep-' && fail "service chains left: $(nft list table inet weft)"
weft exec client -- getent hosts web >/dev/null && fail "web still resolves"
[[ $(weft service ls --json) == "[]" ]] || fail "services left"
ok "service rm: VIP, chains and name gone"
