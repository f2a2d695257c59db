# weft under a real dockerd 20.10 (Debian's docker.io): weftd serves Docker's
# remote network driver on the sandbox's own /run/docker/plugins/weft.sock,
# and dockerd, with its own containerd, data and exec roots under the
# sandbox's /run, drives it as a user would. The image is a busybox rootfs
# imported offline (no registry, no pull).
#
# Covered: `docker network create -d weft` makes a weft network (Docker's
# subnet and gateway, the Docker id as label, bridge, NAT) and dockerd adds no
# bridge or firewall rule of its own; `docker run --network` gives each
# container eth0 with Docker's address and a default route via weft's
# gateway; containers ping each other by address and by name (Docker's
# embedded DNS, 127.0.0.11); the outside sees a container's traffic from the
# host's uplink address (weft's masquerade); weft status and gc agree with
# running containers; docker stop/start releases and re-joins an endpoint;
# `-p 8080:80` is reachable from the outside (`docker port` cannot show it:
# see below); an --internal network connects its containers but not the
# outside; an --ipv6 network gives containers Docker's IPv6 addresses, which
# reach each other and the outside (as the host); `docker rm -f` and `docker network rm` leave no veth, bridge, rule
# or weft record; dockerd and weftd stop cleanly.
#
# dockerd runs as tests/e2e/docker_lib.sh sets it up: its paths under
# /run/t125, nothing on the machine's disk, containers in a cgroup of this
# run's own.
source "$(dirname "$0")/lib.sh"
: "${WEFT_SRC:?WEFT_SRC must point at the weft source tree}"

T=/run/t125
mkdir -p "$T"
source "$(dirname "$0")/docker_lib.sh"
docker_need || exit 0
trap docker_finish EXIT

make_outside
serve_peer outside 198.51.100.2 7000
make_test_image
start_weftd_plugin
# dockerd adds no bridge or firewall rule of its own: weft does the networking.
start_dockerd --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
  --userland-proxy=false
out=$(docker run --rm --network none weft-test ip -o addr) || fail "docker run --network none: $out"
ok "dockerd $(docker version -f '{{.Server.Version}}') in the sandbox (own containerd, vfs, runc); image imported; --network none runs"

# === 1. docker network create -d weft ============================================
NID=$(docker network create -d weft --subnet 10.77.0.0/24 wnet) || fail "docker network create -d weft: $NID"
[[ $(docker network inspect -f '{{.Driver}} {{.Id}}' wnet) == "weft $NID" ]] ||
  fail "docker network inspect wnet: $(docker network inspect wnet)"
NAME=docker-${NID:0:12}
[[ $(weft network ls --json | jq -r 'map(.name) | join(" ")') == "$NAME" ]] ||
  fail "weft's networks: $(weft network ls)"
j=$(weft network inspect "$NAME")
BR=$(jq -r .bridge <<<"$j")
[[ $(jq -r '.subnets[0].subnet + " " + .subnets[0].gateway + " " + (.internal | tostring)' <<<"$j") == "10.77.0.0/24 10.77.0.1 false" ]] ||
  fail "weft network $NAME: $j"
jq -e --arg id "$NID" '.["com.docker.network.id"] == $id' <<<"$(db "SELECT labels FROM networks WHERE name = '$NAME'")" >/dev/null ||
  fail "the Docker network id is not recorded: $(db "SELECT labels FROM networks WHERE name = '$NAME'")"
ip -j addr show dev "$BR" | jq -e '.[0].addr_info | map(.local + "/" + (.prefixlen | tostring)) | index("10.77.0.1/24") != null' >/dev/null ||
  fail "10.77.0.1/24 not on bridge $BR: $(ip addr show dev "$BR")"
nft -j list chain inet weft postrouting |
  jq -e --arg c "weft network $NAME" '[.nftables[].rule? | select(.) | select(.comment == $c)] | length == 1' >/dev/null ||
  fail "no masquerade rule for $NAME: $(nft list chain inet weft postrouting)"
ok "docker network create -d weft --subnet 10.77.0.0/24 wnet: weft network $NAME (label com.docker.network.id), bridge $BR with 10.77.0.1/24, NAT"

# === 2. two containers ==========================================================
for c in c1 c2; do
  out=$(docker run -d --name "$c" --network wnet weft-test sleep 1000 2>&1) ||
    fail "docker run --network wnet $c: $out"
done
ip1=$(cip c1 wnet) ip2=$(cip c2 wnet)
[[ $ip1 == 10.77.0.* && $ip2 == 10.77.0.* && $ip1 != "$ip2" ]] || fail "Docker's addresses: c1 '$ip1', c2 '$ip2'"
for c in c1 c2; do
  ip=$([[ $c == c1 ]] && echo "$ip1" || echo "$ip2")
  out=$(docker exec "$c" ip -4 -o addr show dev eth0) || fail "$c has no eth0: $(docker exec "$c" ip addr)"
  [[ $out == *"inet $ip/24 "* ]] || fail "$c's eth0: $out (Docker says $ip)"
  out=$(docker exec "$c" ip route)
  grep -qx 'default via 10.77.0.1 dev eth0 *' <<<"$out" || fail "$c's routes: $out"
  # weft's word: the endpoint is weft container docker-<12 hex of the endpoint
  # id>, joined to the container's namespace; the kernel's word on that
  # namespace.
  ep=$(docker inspect -f '{{(index .NetworkSettings.Networks "wnet").EndpointID}}' "$c")
  key=$(docker inspect -f '{{.NetworkSettings.SandboxKey}}' "$c")
  w=$(weft inspect "docker-${ep:0:12}") || fail "weft has no container for $c's endpoint ${ep:0:12}: $(weft ps)"
  [[ $(jq -r '.networks[0].ipv4 + " " + .netns' <<<"$w") == "$ip $key" ]] || fail "weft's record of $c: $w"
  [[ $(nsenter --net="$key" ip -j -4 addr show dev eth0 | jq -r '.[0].addr_info[0].local') == "$ip" ]] ||
    fail "the kernel does not show $ip on eth0 in $key"
done
[[ $(weft ps --json | jq length) == 2 ]] || fail "weft ps: $(weft ps)"
[[ $(ip -j link show master "$BR" type veth | jq length) == 2 ]] || fail "veths on $BR: $(ip -br link show master "$BR")"
ok "docker run c1 ($ip1), c2 ($ip2): eth0 with Docker's address, default via 10.77.0.1; weft ps has both, their host veths on $BR"

out=$(docker exec c1 ping -c1 -W2 "$ip2") || fail "c1 cannot ping c2 at $ip2: $out"
grep -q "from $ip2: seq=0" <<<"$out" || fail "c1 -> $ip2: $out"
out=$(docker exec c2 ping -c1 -W2 "$ip1") || fail "c2 cannot ping c1 at $ip1: $out"
grep -q "from $ip1: seq=0" <<<"$out" || fail "c2 -> $ip1: $out"
ok "c1 and c2 ping each other by address"

[[ $(docker exec c1 cat /etc/resolv.conf | awk '/^nameserver/ {print $2}') == 127.0.0.11 ]] ||
  fail "c1's resolv.conf: $(docker exec c1 cat /etc/resolv.conf)"
out=$(docker exec c1 nslookup c2 2>&1) || fail "nslookup c2 in c1: $out"
grep -q "Address: $ip2\$" <<<"$out" || fail "nslookup c2 in c1: $out"
out=$(docker exec c1 ping -c1 -W2 c2) || fail "c1 cannot ping c2 by name: $out"
grep -q "from $ip2: seq=0" <<<"$out" || fail "ping c2 from c1: $out"
out=$(docker exec c2 ping -c1 -W2 c1) || fail "c2 cannot ping c1 by name: $out"
grep -q "from $ip1: seq=0" <<<"$out" || fail "ping c1 from c2: $out"
ok "c1 and c2 resolve and ping each other by name (Docker's embedded DNS, 127.0.0.11)"

# === 3. the outside, through weft's masquerade ==================================
out=$(echo x | docker exec -i c1 nc -w 3 198.51.100.2 7000) || fail "c1 cannot connect to 198.51.100.2:7000: $out"
[[ $(canon "$out") == 198.51.100.1 ]] || fail "the outside saw c1 come from '$out', not the host's uplink 198.51.100.1"
ok "c1 reaches the outside (198.51.100.2:7000), which sees the host's 198.51.100.1, not $ip1"

# weft's own tools agree with Docker's running containers: status is
# healthy, and gc keeps both (their namespaces are alive).
st=$(weft status --json) || fail "weft status with Docker's containers running: $(weft status)"
jq -e '.ok' <<<"$st" >/dev/null || fail "weft status: $st"
weft gc >/dev/null || fail "weft gc"
[[ $(weft ps --json | jq length) == 2 ]] || fail "weft gc dropped Docker's running containers: $(weft ps)"
out=$(docker exec c1 ping -c1 -W2 c2) || fail "c1 cannot ping c2 after weft gc: $out"
ok "weft status healthy and weft gc keeps both while they run"

# docker stop releases the endpoint (veth, weft record); docker start makes a
# new one, and c2 is reachable by name again.
docker stop -t 0 c2 >/dev/null || fail "docker stop c2"
[[ $(weft ps --json | jq length) == 1 && $(ip -j link show master "$BR" type veth | jq length) == 1 ]] ||
  fail "after docker stop c2: $(weft ps; ip -br link show type veth)"
docker start c2 >/dev/null || fail "docker start c2: $(tail -3 "$T/dockerd.log")"
ip2=$(cip c2 wnet)
out=$(docker exec c1 ping -c1 -W2 c2) || fail "c1 cannot ping c2 after docker start: $out"
grep -q "from $ip2: seq=0" <<<"$out" || fail "ping c2 after docker start: $out"
[[ $(weft ps --json | jq length) == 2 && $(ip -j link show master "$BR" type veth | jq length) == 2 ]] ||
  fail "after docker start c2: $(weft ps; ip -br link show type veth)"
ok "docker stop c2 releases its weft endpoint and veth; docker start c2 ($ip2) joins again, reachable by name"

# === 4. a published port =========================================================
out=$(docker run -d --name web -p 8080:80 --network wnet weft-test httpd -f -p 80 -h /www 2>&1) ||
  fail "docker run -p 8080:80: $out"
ipw=$(cip web wnet)
for _ in $(seq 50); do
  body=$(http_get outside 198.51.100.1 8080 2>/dev/null) && [[ -n $body ]] && break
  sleep 0.1
done
[[ $body == "hello from weft-test" ]] || fail "the outside fetched '$body' from 198.51.100.1:8080"
epw=$(docker inspect -f '{{(index .NetworkSettings.Networks "wnet").EndpointID}}' web)
weft ps | has "^docker-${epw:0:12} .*8080->80/tcp" || fail "weft ps does not show 8080->80/tcp: $(weft ps)"
# Not checked: `docker port web` (and docker ps's PORTS) stay empty. weftd's
# EndpointOperInfo does answer com.docker.network.portmap, but dockerd 20.10
# keeps it only if it is its own Go type ([]types.PortBinding), which JSON
# from a remote driver never is: no remote driver can fill them.
out=$(docker exec c1 wget -q -O - http://web/index.html) || fail "c1 cannot fetch http://web/: $out"
[[ $out == "hello from weft-test" ]] || fail "c1 fetched '$out' from http://web/"
ok "docker run -p 8080:80 web ($ipw): the outside fetches it at 198.51.100.1:8080; weft ps shows 8080->80/tcp; c1 fetches http://web/"

# dockerd made nothing of its own in the host: no docker0, no
# docker_gwbridge, no firewall table but weft's.
! ip link show docker0 >/dev/null 2>&1 || fail "dockerd made docker0"
! ip link show docker_gwbridge >/dev/null 2>&1 || fail "dockerd attached containers to docker_gwbridge"
[[ $(nft -j list tables | jq -r '[.nftables[].table? | select(.) | .family + " " + .name] | join(",")') == "inet weft" ]] ||
  fail "firewall tables in the host besides weft's: $(nft list tables)"
ok "dockerd added no bridge, docker_gwbridge or firewall table in the host"

# === 5. docker rm -f, docker network rm: nothing left =============================
docker rm -f c1 c2 web >/dev/null || fail "docker rm -f"
[[ -z $(docker ps -aq) ]] || fail "docker still has containers"
[[ $(weft ps --json | jq length) == 0 ]] || fail "weft ps after docker rm -f: $(weft ps)"
[[ -z $(host_veths) ]] || fail "veths left after docker rm -f: $(host_veths)"
for a in "$ip1" "$ip2" "$ipw"; do
  ! nft list ruleset | grep -F "$a" >/dev/null || fail "$a still in the firewall"
done
! nft -j list ruleset | jq -e '[.. | numbers] | index(8080)' >/dev/null || fail "8080 still in the firewall"
[[ -z $(http_get outside 198.51.100.1 8080 2>/dev/null) ]] || fail "8080 still answers"
docker network rm wnet >/dev/null || fail "docker network rm wnet"
[[ $(weft network ls --json | jq length) == 0 ]] || fail "weft networks left: $(weft network ls)"
! ip link show "$BR" >/dev/null 2>&1 || fail "bridge $BR left"
[[ -z $(ip -o link show type bridge) ]] || fail "bridges left: $(ip -o link show type bridge)"
! nft list ruleset | grep -F "$NAME" >/dev/null || fail "rules for $NAME left: $(nft list ruleset)"
! nft list ruleset | grep -F 10.77.0. >/dev/null || fail "rules for 10.77.0.0/24 left: $(nft list ruleset)"
for _ in $(seq 50); do
  ss -Hlnup 'sport = :53' | has -F 10.77.0.1 || break
  sleep 0.1
done
! ss -Hlnup 'sport = :53' | grep -F 10.77.0.1 >/dev/null || fail "weftd still serves DNS on 10.77.0.1"
st=$(weft status --json) || fail "weft status: $(weft status)"
jq -e '.ok and .firewall.in_sync' <<<"$st" >/dev/null || fail "weft status: $st"
ok "docker rm -f c1 c2 web, docker network rm wnet: no veth, bridge, rule, DNS listener or weft record left; weft status healthy"

# === 6. an --internal network ====================================================
INID=$(docker network create -d weft --internal --subnet 10.78.0.0/24 inet) || fail "create --internal: $INID"
INAME=docker-${INID:0:12}
[[ $(weft network inspect "$INAME" | jq -r .internal) == true ]] || fail "weft network $INAME is not internal"
nft -j list chain inet weft postrouting |
  jq -e --arg c "weft network $INAME" '[.nftables[].rule? | select(.) | select(.comment == $c)] | length == 0' >/dev/null ||
  fail "internal network $INAME has a masquerade rule"
for c in i1 i2; do
  out=$(docker run -d --name "$c" --network inet weft-test sleep 1000 2>&1) || fail "docker run --network inet $c: $out"
done
i1=$(cip i1 inet) i2=$(cip i2 inet)
[[ $i1 == 10.78.0.* && $i2 == 10.78.0.* ]] || fail "addresses on inet: '$i1' '$i2'"
out=$(docker exec i1 ping -c1 -W2 i2) || fail "i1 cannot ping i2 by name: $out"
grep -q "from $i2: seq=0" <<<"$out" || fail "ping i2 from i1: $out"
out=$(docker exec i1 ip route)
! grep -q '^default' <<<"$out" || fail "i1 on an internal network has a default route: $out"
out=$(echo x | docker exec -i i1 nc -w 2 198.51.100.2 7000 2>&1) && fail "i1 on an internal network reached the outside: $out"
ok "--internal inet: i1 ($i1) pings i2 ($i2) by name; no default route, no NAT, the outside is unreachable"
docker rm -f i1 i2 >/dev/null || fail "docker rm -f i1 i2"
docker network rm inet >/dev/null || fail "docker network rm inet"
[[ $(weft network ls --json | jq length) == 0 && $(weft ps --json | jq length) == 0 ]] ||
  fail "weft still has: $(weft network ls; weft ps)"
[[ -z $(host_veths) && -z $(ip -o link show type bridge) ]] || fail "links left: $(ip -br link)"
! nft list ruleset | grep -F 10.78.0. >/dev/null || fail "rules for 10.78.0.0/24 left"
ok "docker rm -f i1 i2, docker network rm inet: nothing left"

# === 7. a dual-stack network ====================================================
serve_peer outside 2001:db8:100::2 7006
DNID=$(docker network create -d weft --ipv6 --subnet 10.79.0.0/24 --subnet fd00:79::/64 dnet) ||
  fail "create --ipv6: $DNID"
DNAME=docker-${DNID:0:12}
j=$(weft network inspect "$DNAME")
jq -e '[.subnets[].subnet] == ["10.79.0.0/24", "fd00:79::/64"] and .ipv6' <<<"$j" >/dev/null ||
  fail "weft network $DNAME is not Docker's dual-stack network: $j"
for c in d1 d2; do
  out=$(docker run -d --name "$c" --network dnet weft-test sleep 1000 2>&1) || fail "docker run --network dnet $c: $out"
done
d2v6=$(docker inspect -f '{{(index .NetworkSettings.Networks "dnet").GlobalIPv6Address}}' d2)
[[ $d2v6 == fd00:79::* ]] || fail "d2 has no IPv6 address on dnet: '$d2v6'"
weft ps --json | jq -e --arg a "$d2v6" 'map(.networks[] | select(.ipv6 == $a)) | length == 1' >/dev/null ||
  fail "weft does not record d2's $d2v6: $(weft ps)"
out=$(docker exec d1 ip -6 route)
grep -q '^default via fd00:79::1' <<<"$out" || fail "d1 has no IPv6 default route via fd00:79::1: $out"
# Docker adds the address with duplicate address detection: wait until it is usable.
for _ in $(seq 50); do
  docker exec d1 ping -6 -c1 -W1 "$d2v6" >/dev/null 2>&1 && break
  sleep 0.2
done
out=$(docker exec d1 ping -6 -c1 -W2 "$d2v6") || fail "d1 cannot ping d2 at $d2v6: $out"
for _ in $(seq 25); do
  out=$(echo x | docker exec -i d1 nc -w 3 2001:db8:100::2 7006 2>&1) && break
  sleep 0.2
done
[[ $(canon "$out") == 2001:db8:100::1 ]] || fail "the outside saw d1's IPv6 traffic from '$out', not the host's 2001:db8:100::1"
ok "--ipv6 dnet: d2 has $d2v6 (recorded by weft), d1 pings it and reaches the outside over IPv6 as the host (weft's NAT66)"
docker rm -f d1 d2 >/dev/null || fail "docker rm -f d1 d2"
docker network rm dnet >/dev/null || fail "docker network rm dnet"
[[ $(weft network ls --json | jq length) == 0 && $(weft ps --json | jq length) == 0 ]] ||
  fail "weft still has: $(weft network ls; weft ps)"
! nft list ruleset | grep -F fd00:79: >/dev/null || fail "rules for fd00:79::/64 left"
ok "docker rm -f d1 d2, docker network rm dnet: nothing left"

# === stop dockerd and weftd ======================================================
stop "$DOCKERD_PID" || fail "dockerd exited $? on SIGTERM: $(tail -5 "$T/dockerd.log")"
DOCKERD_PID=""
for _ in $(seq 50); do pgrep -x containerd >/dev/null || break; sleep 0.1; done
! pgrep -x containerd >/dev/null || fail "dockerd's containerd outlived it: $(pgrep -a containerd)"
stop "$WEFTD_PID" || fail "weftd exited $? on SIGTERM"
WEFTD_PID=""
[[ ! -e $SOCK ]] || fail "weftd left $SOCK"
ok "dockerd (and its containerd) and weftd stop on SIGTERM; the plugin socket is gone"

((had_var_lib_docker)) || [[ ! -e /var/lib/docker ]] || fail "dockerd wrote /var/lib/docker on the machine's disk"
[[ -z $(ls -A /etc/docker 2>/dev/null) ]] || fail "dockerd wrote in /etc/docker: $(ls -A /etc/docker)"
ok "nothing written to /var/lib/docker or /etc/docker"
echo "PASS"
