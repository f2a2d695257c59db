# weft as a CNI plugin, driven exactly as a runtime (libcni, cnitool, podman,
# ctr) drives it: the CNI_* environment, the network config on stdin, the
# result or error JSON on stdout. Every command (ADD, DEL, CHECK, STATUS, GC,
# VERSION) in each of 0.4.0, 1.0.0 and 1.1.0: two attachments reach each
# other and resolve each other's alias through weftd; the result's fields;
# the reference `tuning` plugin chained after weft; published ports; DEL's
# four idempotent cases; GC with valid attachments; CHECK before and after
# the interface breaks; errors with the spec's codes that change nothing.
source "$(dirname "$0")/lib.sh"
make_outside

CNI_BIN=/usr/lib/cni
VERSIONS=(0.4.0 1.0.0 1.1.0)

# cni CMD ID NETNS IFNAME [CNI_ARGS]: runs weft as a runtime would (all six
# variables set, some empty), config on stdin. Sets OUT (stdout) and RC.
cni() {
  RC=0
  OUT=$(env CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="$3" CNI_IFNAME="$4" \
    CNI_ARGS="${5:-}" CNI_PATH="$CNI_BIN" "$WEFT" 2>/run/cni-stderr) || RC=$?
}
# conf VERSION [JSON]: the plugin config for network cninet, merged with JSON.
conf() {
  jq -cn --arg v "$1" --argjson x "${2:-{\}}" \
    '{cniVersion: $v, name: "cninet", type: "weft", network: "cninet", subnet: "10.77.0.0/24"} + $x'
}
# expect_cni_error CODE PATTERN: the last call failed with exit 1 and one
# error JSON with that code and a message matching PATTERN.
expect_cni_error() {
  [[ $RC -eq 1 ]] || fail "expected exit 1, got $RC: $OUT"
  [[ $(jq -r .code <<<"$OUT") == "$1" ]] || fail "expected code $1, got: $OUT"
  jq -r .msg <<<"$OUT" | grep -Eq -- "$2" || fail "message does not match /$2/: $OUT"
  ok "error $1: $(jq -r .msg <<<"$OUT")"
}
expect_ok_silent() {
  [[ $RC -eq 0 ]] || fail "expected success, got $RC: $OUT $(cat /run/cni-stderr)"
  [[ -z $OUT ]] || fail "expected no output, got: $OUT"
}
db() { sqlite3 "$WEFT_STATE_DIR/weft.db" "$@"; }
hexid() { printf '%064x' "$1"; }  # a podman-style 64-hex container id

# --- before anything exists --------------------------------------------------
cni VERSION "" dummy dummy <<<'{"cniVersion":"0.4.0"}'
[[ $RC -eq 0 ]] || fail "VERSION failed: $OUT"
[[ $(jq -c . <<<"$OUT") == '{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}' ]] ||
  fail "VERSION reply: $OUT"
ok "VERSION echoes 0.4.0 and lists the supported versions"
cni VERSION "" "" "" </dev/null
[[ $RC -eq 0 && $(jq -r .cniVersion <<<"$OUT") == 1.1.0 ]] || fail "VERSION without input: $OUT"

cni DEL "$(hexid 99)" "" eth0 < <(conf 1.0.0)
expect_ok_silent
[[ ! -e $WEFT_STATE_DIR/weft.db ]] || fail "a DEL with no prior ADD created the store"
ok "DEL with no prior ADD (no state at all) succeeds and creates nothing"

cni STATUS "" "" "" < <(conf 1.1.0)
expect_ok_silent
ok "STATUS 1.1.0: ready"
cni STATUS "" "" "" < <(conf 1.0.0)
expect_cni_error 1 "does not allow STATUS"

# --- ADD two attachments per version; ping and DNS between them --------------
declare -A RESULT IP_A IP_B
for i in "${!VERSIONS[@]}"; do
  v=${VERSIONS[$i]}
  ip netns add "a$i"
  ip netns add "b$i"
  # a: podman style (64-hex id, IgnoreUnknown and a static IP in CNI_ARGS,
  # aliases as {network: [...]}); b: containerd style ("default-b$i", MAC in
  # CNI_ARGS, aliases as a list).
  if [[ $v == 0.4.0 ]]; then aliases='{"cninet": ["web'$i'", "short'$i'"]}'; else aliases='["web'$i'"]'; fi
  cni ADD "$(hexid "$i")" "/run/netns/a$i" eth0 "IgnoreUnknown=1;K8S_POD_NAME=a$i;IP=10.77.0.$((10 + i))" \
    < <(conf "$v" "{\"runtimeConfig\": {\"aliases\": $aliases}}")
  [[ $RC -eq 0 ]] || fail "ADD a$i ($v) failed: $OUT $(cat /run/cni-stderr)"
  RESULT[a$i]=$OUT
  cni ADD "default-b$i" "/run/netns/b$i" eth0 "MAC=02:77:00:00:00:0$i" \
    < <(conf "$v" '{"runtimeConfig": {"aliases": ["db'$i'"]}}')
  [[ $RC -eq 0 ]] || fail "ADD b$i ($v) failed: $OUT $(cat /run/cni-stderr)"
  RESULT[b$i]=$OUT
  r=${RESULT[a$i]}
  # The result, field by field, against the kernel.
  [[ $(jq -r .cniVersion <<<"$r") == "$v" ]] || fail "result version: $r"
  [[ $(jq -r '.interfaces | length' <<<"$r") == 3 ]] || fail "3 interfaces expected: $r"
  [[ $(jq -r '.interfaces[2].name' <<<"$r") == eth0 ]] || fail "sandbox interface name: $r"
  [[ $(jq -r '.interfaces[2].sandbox' <<<"$r") == "/run/netns/a$i" ]] || fail "sandbox path: $r"
  [[ $(jq -r '.interfaces[2].mac' <<<"$r") == "$(ip -n "a$i" -j link show eth0 | jq -r '.[0].address')" ]] ||
    fail "result MAC is not eth0's: $r"
  [[ $(jq -r '.interfaces[0].name' <<<"$r") == "$(ip -j link show type bridge | jq -r '.[0].ifname')" ]] ||
    fail "interfaces[0] is not the bridge: $r"
  host_veth=$(jq -r '.interfaces[1].name' <<<"$r")
  [[ $(ip -j link show "$host_veth" | jq -r '.[0].master') == "$(jq -r '.interfaces[0].name' <<<"$r")" ]] ||
    fail "host veth $host_veth is not on the bridge"
  [[ $(jq -cS '.ips[0] | del(.version)' <<<"$r") == "{\"address\":\"10.77.0.$((10 + i))/24\",\"gateway\":\"10.77.0.1\",\"interface\":2}" ]] ||
    fail "ips[0]: $r"
  if [[ $v == 0.4.0 ]]; then
    [[ $(jq -r '.ips[0].version' <<<"$r") == 4 ]] || fail "0.4.0 ips need version: $r"
  else
    [[ $(jq -r '.ips[0] | has("version")' <<<"$r") == false ]] || fail "$v ips must not have version: $r"
  fi
  [[ $(jq -cS .routes <<<"$r") == '[{"dst":"0.0.0.0/0","gw":"10.77.0.1"}]' ]] || fail "routes: $r"
  [[ $(jq -cS .dns <<<"$r") == '{"nameservers":["10.77.0.1"],"search":["cninet"]}' ]] || fail "dns: $r"
  [[ $(ip -n "a$i" -j route show default | jq -r '.[0].gateway') == 10.77.0.1 ]] || fail "no default route in a$i"
  [[ $(ip -n "a$i" -j link show lo | jq -r '.[0].operstate') == UNKNOWN ]] || fail "lo is not up in a$i"
  [[ $(ip -n "b$i" -j link show eth0 | jq -r '.[0].address') == "02:77:00:00:00:0$i" ]] || fail "CNI_ARGS MAC not applied"
  IP_A[$i]=10.77.0.$((10 + i))
  IP_B[$i]=$(jq -r '.ips[0].address | split("/")[0]' <<<"${RESULT[b$i]}")
  ip netns exec "b$i" ping -c1 -W2 "${IP_A[$i]}" >/dev/null || fail "b$i cannot ping a$i"
  ip netns exec "a$i" ping -c1 -W2 "${IP_B[$i]}" >/dev/null || fail "a$i cannot ping b$i"
  got=$(ip netns exec "b$i" dig +short +tries=2 +time=2 @10.77.0.1 "web$i")
  [[ $got == "${IP_A[$i]}" ]] || fail "web$i resolved to '$got' from b$i, want ${IP_A[$i]}"
  got=$(ip netns exec "a$i" dig +short +tries=2 +time=2 @10.77.0.1 "db$i.cninet")
  [[ $got == "${IP_B[$i]}" ]] || fail "db$i.cninet resolved to '$got' from a$i"
  ok "$v: ADD a$i (${IP_A[$i]}) and b$i (${IP_B[$i]}): result matches the kernel, they ping and resolve each other"

  # CHECK with the ADD's result as prevResult.
  cni CHECK "$(hexid "$i")" "/run/netns/a$i" eth0 < <(conf "$v" "{\"prevResult\": $r}")
  expect_ok_silent
  ok "$v: CHECK passes"

  # The reference tuning plugin (1.1.1 speaks up to 1.0.0) after weft.
  if [[ $v != 1.1.0 ]]; then
    RC=0
    tuned=$(jq -cn --arg v "$v" --argjson p "$r" '{cniVersion: $v, name: "cninet", type: "tuning", promisc: true, prevResult: $p}' |
      env CNI_COMMAND=ADD CNI_CONTAINERID="$(hexid "$i")" CNI_NETNS="/run/netns/a$i" CNI_IFNAME=eth0 \
        CNI_ARGS= CNI_PATH="$CNI_BIN" "$CNI_BIN/tuning") || RC=$?
    [[ $RC -eq 0 ]] || fail "tuning after weft failed: $tuned"
    [[ $(jq -cS '.ips' <<<"$tuned") == "$(jq -cS '.ips' <<<"$r")" ]] || fail "tuning lost weft's ips: $tuned"
    ip -n "a$i" -j link show eth0 | jq -e '.[0].flags | index("PROMISC")' >/dev/null || fail "tuning did not apply"
    ok "$v: chained tuning accepts weft's result as prevResult"
  fi
done
[[ $(ip -j link show type bridge | jq length) == 1 ]] || fail "one network, one bridge"

# --- a second network in the same namespace: eth1, no second default route ---
cni ADD "$(hexid 0)" /run/netns/a0 eth1 < <(jq -cn '{cniVersion: "1.0.0", name: "cnitwo", type: "weft"}')
[[ $RC -eq 0 ]] || fail "ADD eth1 on cnitwo: $OUT $(cat /run/cni-stderr)"
[[ $(jq -r '.interfaces[2].name' <<<"$OUT") == eth1 && $(jq -c '.routes // []' <<<"$OUT") == '[]' ]] ||
  fail "eth1 result: $OUT"
[[ $(ip -n a0 -j route show default | jq length) == 1 ]] || fail "a0 must keep exactly one default route"
two_subnet=$(db "SELECT subnets FROM networks WHERE name = 'cnitwo'" | jq -r ".[0].cidr")
ok "second network cnitwo (made from the pool: $two_subnet) as eth1 in a0, no second default route"

# --- errors: the spec's codes, nothing changed --------------------------------
before=$(snapshot_sans_ids)
ip netns add e1
cni ADD "$(hexid 50)" /run/netns/e1 eth0 <<<'{"cniVersion": "1.0.0", "name": '
expect_cni_error 6 "not valid JSON"
cni ADD "$(hexid 50)" /run/netns/e1 eth0 "IP" < <(conf 1.0.0)
expect_cni_error 4 "CNI_ARGS"
cni ADD "$(hexid 50)" /run/netns/missing eth0 < <(conf 1.0.0)
expect_cni_error 4 "CNI_NETNS"
cni ADD "" /run/netns/e1 eth0 < <(conf 1.0.0)
expect_cni_error 4 "CNI_CONTAINERID"
cni ADD "$(hexid 50)" /run/netns/e1 "bad/name" < <(conf 1.0.0)
expect_cni_error 4 "CNI_IFNAME"
cni ADD "$(hexid 50)" /run/netns/e1 eth0 < <(conf 0.2.0)
expect_cni_error 1 "incompatible CNI versions"
cni ADD "$(hexid 50)" /run/netns/e1 eth0 "IP=${IP_A[0]}" < <(conf 1.0.0)
expect_cni_error 100 "already in use"
cni ADD "$(hexid 50)" /run/netns/e1 eth0 "IP=10.99.0.5" < <(conf 1.0.0)
expect_cni_error 7 "not in (any IPv4 )?subnet"
cni ADD "$(hexid 50)" /run/netns/e1 eth0 < <(conf 1.0.0 '{"subnet": "10.66.0.0/24"}')
expect_cni_error 7 "exists with subnets 10.77.0.0/24"
cni ADD "$(hexid 50)" /run/netns/e1 eth0 < <(conf 1.0.0 '{"network": "newnet", "subnet": "10.66.0.1/24"}')
expect_cni_error 7 "host bits"
cni ADD "$(hexid 50)" /run/netns/e1 eth0 < <(conf 1.0.0 '{"runtimeConfig": {"portMappings": [{"hostPort": 1, "containerPort": 1, "protocol": "sctp"}]}}')
expect_cni_error 2 "sctp"
cni ADD "$(hexid 0)" /run/netns/a0 eth0 < <(conf 1.0.0)
expect_cni_error 100 "already has eth0"
cni ADD "$(hexid 51)" /run/netns/a0 eth0 < <(conf 1.0.0)
expect_cni_error 100 "interface eth0 already exists"
cni CHECK "$(hexid 50)" /run/netns/e1 eth0 < <(conf 1.0.0)
expect_cni_error 3 "no attachment"
cni CHECK "$(hexid 0)" /run/netns/a0 eth0 < <(conf 0.3.1)
expect_cni_error 1 "does not allow CHECK"
cni GC "" "" "" < <(conf 1.0.0)
expect_cni_error 1 "does not allow GC"
cni FROB "$(hexid 50)" /run/netns/e1 eth0 < <(conf 1.0.0)
expect_cni_error 4 "unknown command"
# A failure while applying rolls everything back, including a network made
# on the way (fault injection, as 060-faults does for the CLI).
# netns-lo-up: only ADD into a runtime's namespace runs it (`weft create`
# brings lo up before the state lock).
for step in netns-lo-up configure-interface; do
  RC=0
  OUT=$(conf 1.0.0 '{"network": "newnet", "subnet": "10.66.0.0/24"}' |
    env WEFT_FAULT=$step:fail CNI_COMMAND=ADD CNI_CONTAINERID="$(hexid 50)" \
      CNI_NETNS=/run/netns/e1 CNI_IFNAME=eth0 CNI_ARGS= CNI_PATH="$CNI_BIN" "$WEFT" 2>/dev/null) || RC=$?
  expect_cni_error 999 "$step"
done
ip netns del e1
after=$(snapshot_sans_ids)
diff <(echo "$before") <(echo "$after") || fail "a refused or failed ADD changed something"
ok "every refused or failed ADD left the kernel and the store as they were"

# --- published ports ------------------------------------------------------------
ip netns add p0
cni ADD "default-p0" /run/netns/p0 eth0 < <(conf 1.0.0 '{"runtimeConfig": {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}}')
[[ $RC -eq 0 ]] || fail "ADD p0 with a port: $OUT"
p0_ip=$(jq -r '.ips[0].address | split("/")[0]' <<<"$OUT")
serve_echo p0 "$p0_ip" 80
[[ $(tcp_send outside 198.51.100.1 8080 hello) == hello ]] || fail "published port 8080 not reachable from outside"
ok "portMappings: outside reaches p0 ($p0_ip:80) on the host's 8080"

# --- DEL: empty CNI_NETNS, repeated, namespace gone first, unknown ------------
cni DEL default-p0 "" eth0 < <(conf 1.0.0 '{"runtimeConfig": {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}}')
expect_ok_silent
[[ -z $(db "SELECT name FROM containers WHERE cni_container_id = 'default-p0'") ]] || fail "p0 still recorded"
[[ -z $(db "SELECT ipv4 FROM endpoints WHERE ipv4 = '$p0_ip'") ]] || fail "p0's lease is still held"
nft -j list ruleset | jq -e '[.. | numbers] | index(8080)' >/dev/null && fail "port 8080 still in the firewall"
! tcp_send outside 198.51.100.1 8080 hello >/dev/null 2>&1 || fail "8080 still answers after DEL"
[[ $(ip -n p0 -j link show | jq length) == 1 ]] || fail "p0 still has interfaces besides lo"
[[ -e /run/netns/p0 ]] || fail "DEL deleted the runtime's namespace"
ok "DEL with empty CNI_NETNS: record, lease, port and veth gone; the runtime's namespace stays"
cni DEL default-p0 /run/netns/p0 eth0 < <(conf 1.0.0)
expect_ok_silent
ok "a repeated DEL succeeds"
ip netns del b2
cni DEL default-b2 /run/netns/b2 eth0 < <(conf 1.1.0)
expect_ok_silent
[[ -z $(db "SELECT ipv4 FROM endpoints WHERE ipv4 = '${IP_B[2]}'") ]] || fail "b2's lease survived"
ok "DEL after the namespace was deleted releases the lease"
cni DEL never-added /run/netns/p0 eth0 < <(conf 1.0.0)
expect_ok_silent
ok "DEL with no prior ADD succeeds"

# --- CHECK fails once the interface breaks ----------------------------------------
ip -n b1 link set eth0 down
cni CHECK default-b1 /run/netns/b1 eth0 < <(conf 1.0.0 "{\"prevResult\": ${RESULT[b1]}}")
expect_cni_error 101 "eth0 is down"
ip -n b1 link set eth0 up
ip -n b1 addr flush dev eth0
cni CHECK default-b1 /run/netns/b1 eth0 < <(conf 1.0.0 "{\"prevResult\": ${RESULT[b1]}}")
expect_cni_error 101 "lacks address"

# --- GC: keep a0 and a1, drop the rest on cninet ------------------------------------
valid=$(jq -cn --arg a "$(hexid 0)" --arg b "$(hexid 1)" '[{containerID: $a, ifname: "eth0"}, {containerID: $b, ifname: "eth0"}]')
cni GC "" "" "" < <(conf 1.1.0 "{\"cni.dev/valid-attachments\": $valid}")
expect_ok_silent
left=$(db "SELECT c.cni_container_id || ' ' || e.network FROM containers c JOIN endpoints e ON e.container = c.name ORDER BY 1")
want=$(printf '%s cninet\n%s cnitwo\n%s cninet' "$(hexid 0)" "$(hexid 0)" "$(hexid 1)" | sort)
[[ $left == "$want" ]] || fail "after GC: $left"
for i in 0 1 2; do
  [[ -z $(db "SELECT ipv4 FROM endpoints WHERE ipv4 = '${IP_B[$i]}'") ]] || fail "b$i's lease survived GC"
done
[[ -z $(ip netns exec a0 dig +short +tries=2 +time=2 @10.77.0.1 db0) ]] || fail "db0 still resolves after GC"
[[ $(ip netns exec a0 dig +short +tries=2 +time=2 @10.77.0.1 web1) == "${IP_A[1]}" ]] || fail "web1 (kept) no longer resolves"
[[ $(ip -n b0 -j link show | jq length) == 1 ]] || fail "b0's interface survived GC"
ok "GC removed every attachment not in valid-attachments (records, leases, veths, DNS names) and kept the others"

# --- CHECK still passes for a kept one; DEL everything; STATUS -------------------
cni CHECK "$(hexid 0)" /run/netns/a0 eth0 < <(conf 1.1.0 "{\"prevResult\": ${RESULT[a0]}}")
expect_ok_silent
for i in 0 1 2; do
  cni DEL "$(hexid "$i")" "/run/netns/a$i" eth0 < <(conf "${VERSIONS[$i]}")
  expect_ok_silent
done
cni DEL "$(hexid 0)" /run/netns/a0 eth1 < <(jq -cn '{cniVersion: "1.0.0", name: "cnitwo", type: "weft"}')
expect_ok_silent
[[ $(db "SELECT count(*) FROM containers") == 0 ]] || fail "containers left after DEL"
[[ -z $(ip -j link show type veth | jq -r '.[].ifname | select(. != "uplink0")') ]] || fail "veths left after DEL"
cni STATUS "" "" "" < <(conf 1.1.0)
expect_ok_silent
ok "all attachments deleted; networks stay (weft network rm removes them); STATUS still ready"
echo "PASS"
