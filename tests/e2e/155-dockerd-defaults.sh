# weft next to a real dockerd 20.10 with its default settings (issue #17), in
# a fresh namespace (ip_forward 0 at the start, as after boot): iptables on
# (FORWARD policy DROP, DOCKER-USER, DOCKER-ISOLATION), docker0, masquerade,
# br_netfilter's bridge-nf-call-iptables on. In the order people meet it:
# a weft network whose containers work, then dockerd starts and drops their
# forwarded traffic, weftd notices and puts weft's accept rules in
# DOCKER-USER by itself; then a weft network made afterwards, and a Docker
# network driven through weftd's driver (`docker network create -d weft`):
# containers reach each other, the outside, are reached on published ports and
# resolve names through the gateway's DNS. Docker's own bridge network still
# works, and once weft's networks are gone, Docker's chains are as Docker
# made them.
source "$(dirname "$0")/lib.sh"
T=/run/t155
mkdir -p "$T"
source "$(dirname "$0")/docker_lib.sh"
docker_need || exit 0
need iptables-nft iptables || exit 0
trap docker_finish EXIT

[[ $(cat /proc/sys/net/ipv4/ip_forward) == 0 ]] || fail "the sandbox starts with ip_forward on"
make_outside
serve_peer outside 198.51.100.2 7000
printf 'nameserver 198.51.100.2\n' >/etc/resolv.conf
make_test_image
start_weftd_plugin

# works NET C1 C2 PORT: C1 pings C2, reaches the outside as the host, the
# outside reaches C2's published PORT, C1 resolves C2 through the gateway.
works() {
  local c2ip
  c2ip=$(container_ipv4 "$3")
  ip netns exec "$2" ping -c1 -W2 "$c2ip" >/dev/null || { echo "$2 cannot ping $3 ($c2ip)"; return 1; }
  [[ $(tcp_send "$2" 198.51.100.2 7000 x) == 198.51.100.1 ]] || { echo "$2 cannot reach the outside"; return 1; }
  [[ $(tcp_send outside 198.51.100.1 "$4" x) == 198.51.100.2 ]] || { echo "the outside cannot reach $3's port $4"; return 1; }
  local a
  a=$(weft exec "$2" -- getent ahostsv4 "$3" | awk '{ print $1 }' | sort -u) || true
  [[ $a == "$c2ip" ]] || { echo "$2 cannot resolve $3 through the gateway: '$a'"; return 1; }
}

# === 1. weft first, dockerd later ================================================
weft network create early --subnet 10.92.0.0/24 >/dev/null
weft create e1 --network early >/dev/null
weft create e2 --network early -p 8082:80 >/dev/null
serve_peer e2 0.0.0.0 80
why=$(works early e1 e2 8082) || fail "before dockerd: $why"

# dockerd sets FORWARD's policy to DROP only when it is the one that turns
# ip_forward on, as at boot, where it starts before anything else. weft's
# network turned it on here, so put it back as dockerd finds it at boot.
echo 0 >/proc/sys/net/ipv4/ip_forward
start_dockerd
[[ $(iptables -S FORWARD | head -1) == "-P FORWARD DROP" ]] || fail "dockerd did not set FORWARD DROP: $(iptables -S FORWARD)"
[[ $(cat /proc/sys/net/bridge/bridge-nf-call-iptables) == 1 ]] || fail "bridge-nf-call-iptables is off"
ok "dockerd $(docker version -f '{{.Server.Version}}') with its defaults: FORWARD policy DROP, br_netfilter on"
for _ in $(seq 100); do iptables -S DOCKER-USER | has 'weft opening: accept to' && break; sleep 0.2; done
iptables -S DOCKER-USER | has 'weft opening: accept to' || fail "weftd did not open DOCKER-USER: $(iptables -S DOCKER-USER)"
why=$(works early e1 e2 8082) || fail "after dockerd started: $why"
ok "weftd put weft's accept rules in DOCKER-USER when dockerd appeared; the early network works"

# === 2. a weft network made next to dockerd =======================================
weft network create n1 --subnet 10.91.0.0/24 >/dev/null
weft create c1 --network n1 >/dev/null
weft create c2 --network n1 -p 8081:80 >/dev/null
serve_peer c2 0.0.0.0 80
why=$(works n1 c1 c2 8081) || fail "weft network next to dockerd: $why"
ok "a weft network made next to dockerd: ping, outside, published port, DNS"

# === 3. a Docker network through weftd's driver ====================================
docker network create -d weft --subnet 10.93.0.0/24 wnet >/dev/null || fail "docker network create -d weft"
docker run -d --name d1 --network wnet weft-test sleep 600 >/dev/null || fail "docker run d1: $(tail -3 "$T/dockerd.log")"
docker run -d --name d2 --network wnet -p 8083:80 weft-test httpd -f -p 80 -h /www >/dev/null || fail "docker run d2"
ip2=$(cip d2 wnet)
docker exec d1 ping -c1 -W2 "$ip2" >/dev/null || fail "d1 cannot ping d2 ($ip2) on a weft Docker network"
docker exec d1 ping -c1 -W2 d2 >/dev/null || fail "d1 cannot ping d2 by name"
docker exec d1 ping -c1 -W2 198.51.100.2 >/dev/null || fail "d1 cannot reach the outside"
body=""
for _ in $(seq 20); do body=$(http_get outside 198.51.100.1 8083 2>/dev/null) && [[ -n $body ]] && break; sleep 0.2; done
[[ $body == "hello from weft-test" ]] || fail "d2's -p 8083:80 from the outside: '$body'"
ok "docker network -d weft under dockerd's defaults: ping by address and name, outside, -p from outside"

# Docker's own bridge network still works next to weft.
out=$(docker run --rm weft-test ping -c1 -W2 198.51.100.2 2>&1) || fail "Docker's bridge network broke: $out"
ok "Docker's default bridge network still reaches the outside"

# === 4. weft's networks go: Docker's chains are as Docker made them ===============
docker rm -f d1 d2 >/dev/null
docker network rm wnet >/dev/null
weft rm e1 e2 c1 c2 >/dev/null
weft network rm early >/dev/null
weft network rm n1 >/dev/null
left=$(nft list ruleset | grep 'comment "weft opening: ' || true)
[[ -z $left ]] || fail "weft's rules left behind: $left"
[[ $(iptables -S DOCKER-USER) == $'-N DOCKER-USER\n-A DOCKER-USER -j RETURN' ]] || fail "DOCKER-USER: $(iptables -S DOCKER-USER)"
[[ $(iptables -S FORWARD | head -1) == "-P FORWARD DROP" ]] || fail "FORWARD's policy changed"
iptables -S >/dev/null || fail "iptables cannot read its tables"
ok "no weft rule left; DOCKER-USER and FORWARD as Docker made them"
