# weftd as Docker's remote network driver (issue #7 item 2), driven the way
# dockerd 20.10 drives it (docs/INTEGRATIONS.md "Docker"): HTTP POSTs with
# JSON over /run/docker/plugins/weft.sock (the sandbox's private /run), by
# curl, so every call and its effect on weft is checked one by one.
#
# Covered: Activate, GetCapabilities, CreateNetwork (a real weft network on
# Docker's subnet and gateway, with NAT and weftd's DNS on the gateway),
# CreateEndpoint, EndpointOperInfo, Join, Leave, DeleteEndpoint, DeleteNetwork
# (nothing left), Discover*, the HTTP parser's limits on a live socket.
# Join and Leave, with the interface moves dockerd makes done by `ip` (the
# real dockerd is e2e 125), and a weftd restart between CreateEndpoint and
# Join.
source "$(dirname "$0")/lib.sh"

WEFTD="$(dirname "$WEFT")/weftd"
SOCK=/run/docker/plugins/weft.sock

# A supervised weftd only: the plugin is refused without --foreground.
rc=0
"$WEFTD" --docker-plugin --state-dir "$WEFT_STATE_DIR" 2>/run/weftd-bg.err || rc=$?
[[ $rc -eq 2 ]] || fail "weftd --docker-plugin without --foreground: rc $rc"
grep -q "needs --foreground" /run/weftd-bg.err || fail "no reason given: $(cat /run/weftd-bg.err)"
[[ ! -e $SOCK ]] || fail "socket made by a refused weftd"
ok "the plugin needs --foreground"

"$WEFTD" --foreground --docker-plugin-socket "$SOCK" --state-dir "$WEFT_STATE_DIR" \
  --resync-ms 500 2>>/run/weftd.log &
WEFTD_PID=$!
trap 'kill "$WEFTD_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [[ -S $SOCK ]] && break
  sleep 0.05
done
[[ -S $SOCK ]] || fail "no plugin socket: $(cat /run/weftd.log)"
[[ $(stat -c %a "$SOCK") == 600 ]] || fail "socket mode $(stat -c %a "$SOCK")"
ok "weftd serves $SOCK"

# call METHOD [JSON]: POSTs as dockerd does; prints the body; sets CODE.
call() {
  local out
  out=$(curl -sS --unix-socket "$SOCK" -H 'Accept: application/vnd.docker.plugins.v1.2+json' \
    -X POST --data-binary "${2:-}" -w '\n%{http_code}' "http://plugin/$1")
  CODE=${out##*$'\n'}
  BODY=${out%$'\n'*}
}
expect_ok() {
  call "$1" "${2:-}"
  [[ $CODE == 200 ]] || fail "$1: HTTP $CODE $BODY"
  [[ $(jq -r '.Err // ""' <<<"$BODY") == "" ]] || fail "$1: $BODY"
}
expect_err() {
  local pattern=$1
  shift
  call "$@"
  [[ $CODE != 200 ]] || fail "$1: expected an error, got $BODY"
  jq -r .Err <<<"$BODY" | grep -Eq -- "$pattern" || fail "$1: Err does not match /$pattern/: $BODY"
}

expect_ok Plugin.Activate
jq -e '.Implements == ["NetworkDriver"]' <<<"$BODY" >/dev/null || fail "Activate: $BODY"
expect_ok NetworkDriver.GetCapabilities
jq -e '.Scope == "local" and .ConnectivityScope == "local"' <<<"$BODY" >/dev/null || fail "caps: $BODY"
ok "Activate and GetCapabilities"

NID=$(printf 'n%.0s' {1..1} | sha256sum | cut -c1-64)
NAME=docker-${NID:0:12}
create_net='{"NetworkID":"'$NID'","Options":{"com.docker.network.enable_ipv6":false,"com.docker.network.generic":{}},"IPv4Data":[{"AddressSpace":"LocalDefault","Pool":"172.30.0.0/16","Gateway":"172.30.0.1/16"}],"IPv6Data":[]}'
expect_ok NetworkDriver.CreateNetwork "$create_net"
[[ $BODY == '{}' ]] || fail "CreateNetwork reply: $BODY"
j=$(weft network inspect "$NAME")
br=$(jq -r .bridge <<<"$j")
[[ $(jq -r '.subnets[0].subnet' <<<"$j") == 172.30.0.0/16 ]] || fail "subnet: $j"
[[ $(jq -r '.subnets[0].gateway' <<<"$j") == 172.30.0.1 ]] || fail "gateway: $j"
labels=$(sqlite3 "$WEFT_STATE_DIR/weft.db" "select labels from networks where name = '$NAME'")
jq -e --arg id "$NID" '.["com.docker.network.id"] == $id' <<<"$labels" >/dev/null ||
  fail "the Docker network id is not recorded: $labels"
ip -j addr show dev "$br" | jq -e '.[0].addr_info | map(.local) | index("172.30.0.1") != null' >/dev/null ||
  fail "gateway not on $br"
nft -j list chain inet weft postrouting |
  jq -e --arg c "weft network $NAME" '[.nftables[].rule? | select(.) | select(.comment == $c)] | length == 1' \
    >/dev/null || fail "masquerade rule for $NAME"
ok "CreateNetwork: weft network $NAME on bridge $br, 172.30.0.1/16, NAT"

# weftd reloaded after its own change: DNS on the new gateway, at once.
socks=$(ss -Hlnup 'sport = :53')
grep -F 172.30.0.1 <<<"$socks" | has "pid=$WEFTD_PID," || fail "weftd not serving DNS on 172.30.0.1: $socks"
ok "weftd serves DNS on 172.30.0.1:53"

# dockerd retries: a repeated CreateNetwork is a no-op.
expect_ok NetworkDriver.CreateNetwork "$create_net"
[[ $(weft network ls --json | jq --arg n "$NAME" 'map(select(.name == $n)) | length') == 1 ]] ||
  fail "repeated CreateNetwork made another network"
# A clash with an existing weft network is Docker's error, not a crash.
weft network create other --subnet 172.31.0.0/16 >/dev/null
NID2=$(printf 'm' | sha256sum | cut -c1-64)
expect_err 'overlap|172\.31' NetworkDriver.CreateNetwork \
  '{"NetworkID":"'$NID2'","IPv4Data":[{"Pool":"172.31.0.0/24","Gateway":"172.31.0.1/24"}]}'
weft network rm other >/dev/null
expect_err 'generic|option' NetworkDriver.CreateNetwork \
  '{"NetworkID":"'$NID2'","Options":{"com.docker.network.generic":{"foo":"bar"}},"IPv4Data":[{"Pool":"172.29.0.0/16"}]}'
ok "repeated CreateNetwork is a no-op; clashes and unknown -o options are refused"

EP1=$(printf 'e1' | sha256sum | cut -c1-64)
EP2=$(printf 'e2' | sha256sum | cut -c1-64)
ep_body() {
  echo '{"NetworkID":"'$NID'","EndpointID":"'$1'","Interface":{"Address":"'$2'","AddressIPv6":"","MacAddress":""},"Options":{"com.docker.network.endpoint.exposedports":[{"Proto":6,"Port":80}],"com.docker.network.portmap":[{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":'$3',"HostPortEnd":'$3'}]}}'
}
expect_ok NetworkDriver.CreateEndpoint "$(ep_body "$EP1" 172.30.0.2/16 8080)"
# Docker's values are never echoed; the MAC it left empty is Docker's own
# bridge driver's choice, 02:42 + the IPv4 address.
[[ $BODY == '{"Interface":{"MacAddress":"02:42:ac:1e:00:02"}}' ]] || fail "CreateEndpoint reply: $BODY"
expect_err 'already published' NetworkDriver.CreateEndpoint "$(ep_body "$EP2" 172.30.0.3/16 8080)"
expect_err 'already in use' NetworkDriver.CreateEndpoint "$(ep_body "$EP2" 172.30.0.2/16 8081)"
expect_ok NetworkDriver.CreateEndpoint "$(ep_body "$EP2" 172.30.0.3/16 8081)"
expect_ok NetworkDriver.EndpointOperInfo '{"NetworkID":"'$NID'","EndpointID":"'$EP1'"}'
jq -e '.Value["com.docker.network.portmap"] == [{"Proto":6,"IP":"172.30.0.2","Port":80,"HostIP":"","HostPort":8080,"HostPortEnd":8080}]' \
  <<<"$BODY" >/dev/null || fail "EndpointOperInfo: $BODY"
expect_err 'unknown|no network' NetworkDriver.CreateEndpoint \
  '{"NetworkID":"'$NID2'","EndpointID":"'$NID2'","Interface":{"Address":"10.0.0.2/24"}}'
ok "CreateEndpoint x2 (a taken host port or address is refused), EndpointOperInfo reports port 8080"

# CreateEndpoint made a weft container per endpoint, its veth pair in the
# host namespace: host end on the bridge, the other end (Docker's SrcName)
# down and unaddressed, and the published port's rules, before any Join.
C1=docker-${EP1:0:12}
c1=$(weft inspect "$C1") || fail "no weft container for endpoint 1"
[[ $(jq -r '.networks[0].ipv4' <<<"$c1") == 172.30.0.2 ]] || fail "endpoint 1 address: $c1"
SRC1=$(jq -r '.networks[0].interface' <<<"$c1")
[[ $SRC1 == wd* ]] || fail "endpoint 1 interface: $c1"
[[ $(ip -j link show "$SRC1" | jq -r '.[0].address') == 02:42:ac:1e:00:02 ]] ||
  fail "$SRC1 does not have the MAC weft told Docker: $(ip link show "$SRC1")"
ip -j link show "$SRC1" | jq -e '.[0].operstate == "DOWN"' >/dev/null || fail "$SRC1 not down in the host"
[[ $(ip -j addr show dev "$SRC1" | jq '[.[0].addr_info[] | select(.family == "inet")] | length') == 0 ]] ||
  fail "$SRC1 has an address"
nft list ruleset | grep -E '\b8080 : 172\.30\.0\.2\b' >/dev/null || fail "no map element for published port 8080: $(nft list ruleset)"
ok "CreateEndpoint: veth pair in the host (other end $SRC1, down), address recorded, port 8080 published"

# restart_weftd [VAR=VALUE...]: a new weftd (with that environment).
restart_weftd() {
  kill -TERM "$WEFTD_PID"
  wait "$WEFTD_PID" || fail "weftd exited $?"
  env "$@" "$WEFTD" --foreground --docker-plugin-socket "$SOCK" --state-dir "$WEFT_STATE_DIR" \
    --resync-ms 500 2>>/run/weftd.log &
  WEFTD_PID=$!
  for _ in $(seq 100); do
    [[ -S $SOCK ]] && break
    sleep 0.05
  done
  [[ -S $SOCK ]] || fail "weftd did not restart: $(tail -5 /run/weftd.log)"
}

# A step that fails mid-plan leaves weft as it was (WEFT_FAULT reaches the
# driver's plans too): a CreateEndpoint whose veth fails, a Join whose record
# fails. And weftd forgets nothing across a restart: endpoints live in
# weft's store.
EP3=$(printf 'e3' | sha256sum | cut -c1-64)
before=$(snapshot_sans_ids)
restart_weftd WEFT_FAULT=create-veth:fail
expect_err 'create-veth|injected' NetworkDriver.CreateEndpoint "$(ep_body "$EP3" 172.30.0.4/16 8082)"
[[ $(snapshot_sans_ids) == "$before" ]] || fail "a failed CreateEndpoint changed weft: $(diff <(echo "$before") <(snapshot_sans_ids))"
restart_weftd WEFT_FAULT=record-sandbox:fail
expect_err 'record-sandbox|injected' NetworkDriver.Join \
  '{"NetworkID":"'$NID'","EndpointID":"'$EP1'","SandboxKey":"/run/netns/dc1","Options":{}}'
[[ $(weft inspect "$C1" | jq -r .netns) == "" ]] || fail "a failed Join recorded the sandbox"
restart_weftd
expect_ok NetworkDriver.EndpointOperInfo '{"NetworkID":"'$NID'","EndpointID":"'$EP1'"}'
ok "failed CreateEndpoint and Join change nothing; a restarted weftd still knows the endpoints"

# Join, then what dockerd does with the reply: mount the sandbox (from runc's
# hook, after Join: the path need not exist at Join), move SrcName into it,
# rename it eth0, address it, route via Gateway.
expect_err 'SandboxKey' NetworkDriver.Join '{"NetworkID":"'$NID'","EndpointID":"'$EP1'","Options":{}}'
expect_err 'no endpoint|weft has no' NetworkDriver.Join \
  '{"NetworkID":"'$NID'","EndpointID":"'$NID2'","SandboxKey":"/run/netns/dc1","Options":{}}'
expect_ok NetworkDriver.Join '{"NetworkID":"'$NID'","EndpointID":"'$EP1'","SandboxKey":"/run/netns/dc1","Options":{}}'
ip netns add dc1
jq -e --arg s "$SRC1" '.InterfaceName == {"SrcName": $s, "DstPrefix": "eth"} and .Gateway == "172.30.0.1"
  and (has("DisableGatewayService") | not)' <<<"$BODY" >/dev/null || fail "Join reply: $BODY"
[[ $(weft inspect "$C1" | jq -r .netns) == /run/netns/dc1 ]] || fail "the sandbox is not recorded"
ip link set "$SRC1" netns dc1
ip -n dc1 link set "$SRC1" name eth0
ip -n dc1 addr add 172.30.0.2/16 dev eth0
ip -n dc1 link set eth0 up
ip -n dc1 link set lo up
ip -n dc1 route add default via 172.30.0.1
ip netns exec dc1 ping -c1 -W2 172.30.0.1 >/dev/null || fail "the joined sandbox cannot reach its gateway"
weft status >/dev/null || fail "weft status unhealthy after Join: $(weft status)"
ok "Join: SrcName $SRC1 and gateway; moved and addressed as dockerd does, the sandbox reaches 172.30.0.1"

# Docker's Leave, then it moves the interface back under its old name.
expect_err 'endpoint' NetworkDriver.DeleteNetwork '{"NetworkID":"'$NID'"}'
expect_ok NetworkDriver.Leave '{"NetworkID":"'$NID'","EndpointID":"'$EP1'"}'
ip -n dc1 link set eth0 down
ip -n dc1 link set eth0 name "$SRC1"
ip -n dc1 link set "$SRC1" netns 1
for ep in "$EP1" "$EP2" "$EP2"; do
  expect_ok NetworkDriver.DeleteEndpoint '{"NetworkID":"'$NID'","EndpointID":"'$ep'"}'
done
expect_ok NetworkDriver.Leave '{"NetworkID":"'$NID'","EndpointID":"'$EP1'"}'
ip netns del dc1
[[ $(weft ps --json | jq 'length') == 0 ]] || fail "containers left: $(weft ps)"
[[ -z $(ip -o link show type veth) ]] || fail "veths left: $(ip -o link show type veth)"
! nft list ruleset | grep -E '\b808[01]\b' >/dev/null || fail "port 8080/8081 rules left"
expect_ok NetworkDriver.DiscoverNew '{"DiscoveryType":1,"DiscoveryData":{"Address":"10.0.0.1","self":true}}'
expect_ok NetworkDriver.DiscoverDelete '{"DiscoveryType":1,"DiscoveryData":{"Address":"10.0.0.1","self":true}}'
call NetworkDriver.Nope '{}'
[[ $CODE == 404 ]] || fail "unknown method: HTTP $CODE"
ok "Leave, DeleteEndpoint (repeatable; nothing left), Discover*, 404 for unknown methods"

# The HTTP layer: malformed and oversized requests get an error status and
# the connection closes; weftd keeps serving.
raw() { printf "$1" | timeout 5 socat -t 2 - "UNIX-CONNECT:$SOCK" | head -n1 | tr -d '\r'; }
if command -v socat >/dev/null; then
  [[ $(raw 'POST /Plugin.Activate HTTP/1.1\r\nContent-Length: x\r\n\r\n') == "HTTP/1.1 400 Bad Request" ]] ||
    fail "bad Content-Length"
  [[ $(raw 'POST /Plugin.Activate HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n') == "HTTP/1.1 413 Content Too Large" ]] ||
    fail "huge body"
  [[ $(raw 'POST /Plugin.Activate HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n') == "HTTP/1.1 501 Not Implemented" ]] ||
    fail "chunked"
  ok "malformed HTTP: 400, 413, 501"
fi
# Two requests on one connection (keep-alive).
out=$(curl -sSv --unix-socket "$SOCK" -X POST http://plugin/Plugin.Activate -: \
  --unix-socket "$SOCK" -X POST http://plugin/NetworkDriver.GetCapabilities 2>&1)
grep -qF '{"Implements":["NetworkDriver"]}' <<<"$out" && grep -qF '"Scope":"local"' <<<"$out" ||
  fail "keep-alive: $out"
grep -qi 're-using existing connection' <<<"$out" || fail "connection not kept alive: $out"
kill -0 "$WEFTD_PID" || fail "weftd died"
ok "keep-alive; weftd still serving"

expect_ok NetworkDriver.DeleteNetwork '{"NetworkID":"'$NID'"}'
expect_ok NetworkDriver.DeleteNetwork '{"NetworkID":"'$NID'"}'
[[ $(weft network ls --json | jq 'length') == 0 ]] || fail "networks left: $(weft network ls)"
! ip link show "$br" 2>/dev/null || fail "bridge $br left"
[[ -z $(ip -o link show type bridge; ip -o link show type veth) ]] || fail "links left: $(ip -o link show)"
! nft list ruleset | grep -F "$NAME" >/dev/null || fail "rules left: $(nft list ruleset)"
for _ in $(seq 50); do
  ss -Hlnup 'sport = :53' | has -F 172.30.0.1 || break
  sleep 0.1
done
! ss -Hlnup 'sport = :53' | grep -F 172.30.0.1 >/dev/null || fail "DNS still on 172.30.0.1"
ok "DeleteNetwork (repeatable): no network, links, rules or DNS left"

kill -TERM "$WEFTD_PID"
wait "$WEFTD_PID" || fail "weftd exited $?"
trap - EXIT
[[ ! -e $SOCK ]] || fail "socket left behind"
ok "weftd stops on SIGTERM and removes its socket"
