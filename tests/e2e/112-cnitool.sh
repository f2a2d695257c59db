# weft under cnitool: a real libcni client. tests/support/cnitool/main.go is
# cnitool's interface (add|check|del NET NETNS; NETCONFPATH, CNI_PATH,
# CNI_IFNAME, CNI_ARGS, CAP_ARGS) over Debian 12's libcni 1.1.2 (package
# golang-github-appc-cni-dev; cnitool itself is not packaged), the library
# Debian's podman 4.3 and containerd 1.6 use. It is built here, offline, in
# GOPATH mode from Debian's /usr/share/gocode, into the sandbox's /run.
#
# What libcni adds over 110's raw protocol, checked here: the conflist loaded
# by name from NETCONFPATH; the container ID cnitool derives from the netns
# path; name and cniVersion injected into the plugin config; capability args
# (CAP_ARGS) passed only to a plugin that declares them; weft's reply parsed by
# libcni's type for that version (what it prints is its re-encoding); its
# result cache /var/lib/cni/results/NET-ID-IFNAME; the cached result sent as
# prevResult on CHECK and DEL (0.4.0 and later), converted to the list's
# version when the list changed while attached; CHECK refused by libcni itself
# below 0.4.0; weft's CNI error messages surfacing as cnitool's.
#
# cniVersions: libcni 1.1.2 parses results of 0.1.0 and 0.2.0 (types020),
# 0.3.0, 0.3.1, 0.4.0 (types040) and 1.0.0 (types100): nothing newer. weft
# speaks 0.3.0 to 1.1.0. So the full add/check/del cycle runs for 0.3.0, 0.3.1,
# 0.4.0 and 1.0.0 (CHECK only from 0.4.0: libcni refuses it below). 1.1.0 is
# not known to libcni 1.1.2: weft attaches, libcni rejects the 1.1.0 result
# ("unsupported CNI result version"), so cnitool add fails and writes no cache;
# the DEL a runtime then owes cleans everything (110 covers 1.1.0 raw). 0.2.0:
# weft refuses it (code 1), nothing is made.
#
# Also: CNI_IFNAME; a chain weft -> Debian's tuning plugin through libcni
# (prevResult on ADD, both on CHECK, DEL in reverse); CAP_ARGS portMappings
# reaching the host port from outside, CNI_ARGS IP= giving the static address.
#
# Every plugin call but the last section's goes through a spy in CNI_PATH that
# runs weft (through a symlink to $WEFT) and logs the CNI_* variables, stdin,
# weft's stdout and exit status; the last section has the plain symlink in
# CNI_PATH. libcni's cache dir is a tmpfs inside the sandbox's private mount
# namespace (an overlay on the sandbox's tmpfs keeps the machine's /var/lib
# untouched when /var/lib/cni does not exist). Go's cache and temp dirs are
# under the sandbox's /run too.
source "$(dirname "$0")/lib.sh"
: "${WEFT_SRC:?WEFT_SRC must point at the weft source tree}"

T=/run/t112
mkdir -p "$T"

GOPATH_DEB=/usr/share/gocode
need go golang-go || exit 0
need "$GOPATH_DEB/src/github.com/containernetworking/cni/libcni" golang-github-appc-cni-dev || exit 0

# --- build cnitool: offline, Debian's Go and libcni only ------------------------
CNITOOL=$T/cnitool
start=$SECONDS
mkdir -p "$T/gotmp"
out=$(env GOENV=off GO111MODULE=off GOPATH=$GOPATH_DEB GOCACHE=$T/gocache GOTMPDIR=$T/gotmp GOFLAGS= GOPROXY=off \
  CGO_ENABLED=0 HOME=$T go build -o "$CNITOOL" "$WEFT_SRC/tests/support/cnitool/main.go" 2>&1) ||
  fail "building cnitool over Debian's libcni failed: $out"
ok "cnitool built over Debian's libcni $(dpkg-query -W -f='${Version}' golang-github-appc-cni-dev 2>/dev/null || echo '(version unknown)') with $(go version | awk '{print $3}') in $((SECONDS - start))s (GOPATH mode, offline)"

private_dir /var/lib/cni
mount -n -t tmpfs weft-cni-cache /var/lib/cni
CACHE=/var/lib/cni/results

# --- plugin dirs: bin/weft -> $WEFT (bin/tuning -> Debian's, for the chain);
# spy/<type> runs bin/<type> and logs the call: type, CNI_* variables, stdin,
# the plugin's stdout and exit status.
mkdir -p "$T/bin" "$T/spy" "$T/net.d"
ln -s "$WEFT" "$T/bin/weft"
SPYLOG=$T/spy.log
cat >"$T/spy/weft" <<EOF
#!/bin/bash
in=\$(cat)
rc=0
out=\$(printf '%s' "\$in" | "$T/bin/\${0##*/}") || rc=\$?
jq -cn --arg plugin "\${0##*/}" --arg cmd "\$CNI_COMMAND" --arg cid "\$CNI_CONTAINERID" --arg netns "\$CNI_NETNS" \\
  --arg ifname "\$CNI_IFNAME" --arg args "\$CNI_ARGS" --arg path "\$CNI_PATH" --arg stdin "\$in" \\
  --arg stdout "\$out" --argjson rc "\$rc" \\
  '{plugin: \$plugin, cmd: \$cmd, cid: \$cid, netns: \$netns, ifname: \$ifname, args: \$args, path: \$path,
    stdin: (\$stdin | fromjson? // \$stdin), rc: \$rc, stdout: (\$stdout | fromjson? // \$stdout)}' >>"$SPYLOG"
printf '%s' "\$out"
exit \$rc
EOF
chmod +x "$T/spy/weft"
export NETCONFPATH=$T/net.d CNI_PATH=$T/spy
unset CNI_IFNAME CNI_ARGS CAP_ARGS

# ct CMD NET NETNS: runs cnitool. Sets OUT (stdout), ERR (stderr), RC; the spy
# log starts empty for each call.
ct() {
  : >"$SPYLOG"
  RC=0
  OUT=$("$CNITOOL" "$@" 2>"$T/err") || RC=$?
  ERR=$(<"$T/err")
}
# calls: the plugin calls of the last ct, in order, as "TYPE:CMD ...".
calls() { jq -r '"\(.plugin):\(.cmd)"' "$SPYLOG" | paste -sd' '; }
# sent CMD [TYPE]: what the last ct sent plugin TYPE (default weft) for CMD.
sent() { jq -c --arg c "$1" --arg p "${2:-weft}" 'select(.cmd == $c and .plugin == $p)' "$SPYLOG"; }
expect_silent_ok() {
  [[ $RC -eq 0 ]] || fail "cnitool $1 failed ($RC): $ERR"
  [[ -z $OUT ]] || fail "cnitool $1 printed: $OUT"
}
# expect_cnitool_error PATTERN: the last ct failed with exit 1, nothing on
# stdout, and an error on stderr matching PATTERN.
expect_cnitool_error() {
  [[ $RC -eq 1 ]] || fail "expected cnitool to exit 1, got $RC: $OUT $ERR"
  [[ -z $OUT ]] || fail "expected nothing on stdout, got: $OUT"
  grep -Eq -- "$1" <<<"$ERR" || fail "cnitool's error does not match /$1/: $ERR"
}
# cid NETNS: cnitool's container ID for a netns path.
cid() { echo "cnitool-$(printf '%s' "$1" | sha512sum | cut -c1-20)"; }
# conflist NAME VERSION NETWORK SUBNET [PLUGIN-EXTRA-JSON]
conflist() {
  jq -n --arg n "$1" --arg v "$2" --arg net "$3" --arg s "$4" --argjson x "${5:-{\}}" \
    '{cniVersion: $v, name: $n, plugins: [{type: "weft", network: $net, subnet: $s} + $x]}' \
    >"$NETCONFPATH/$1.conflist"
}
# attached NETNS: weft's attachments in NETNS, as "network ipv4 host-veth" lines.
attached() {
  "$WEFT" --json ps | jq -r --arg ns "$1" '.[] | select(.netns == $ns) | .networks[] | "\(.network) \(.ipv4) \(.host_interface)"'
}

# --- add / check / del for each version libcni 1.1.2 and weft share ------------
VERSIONS=(0.3.0 0.3.1 0.4.0 1.0.0)
# Capability args for every call: no list in this loop declares a capability,
# so libcni must send weft no runtimeConfig.
export CAP_ARGS='{"portMappings": [{"hostPort": 8112, "containerPort": 80, "protocol": "tcp"}]}'
for i in "${!VERSIONS[@]}"; do
  v=${VERSIONS[$i]}
  net=weftnet-$v ns=/run/netns/n$i id=$(cid "/run/netns/n$i")
  conflist "$net" "$v" "cn$v" "10.112.$i.0/24"
  ip netns add "n$i"

  # add: the result, libcni's cache of it, the kernel, weft's record.
  ct add "$net" "$ns"
  [[ $RC -eq 0 ]] || fail "cnitool add $net failed ($RC): $ERR"
  r=$OUT
  [[ $(calls) == weft:ADD ]] || fail "$v add: plugin calls '$(calls)', want weft:ADD"
  s=$(sent ADD)
  [[ $(jq -r '[.cid, .netns, .ifname, .args] | join(" ")' <<<"$s") == "$id $ns eth0 " ]] ||
    fail "$v add: CNI_* sent: $s"
  [[ $(jq -c '.stdin | keys' <<<"$s") == '["cniVersion","name","network","subnet","type"]' ]] ||
    fail "$v add: config sent (no prevResult, no runtimeConfig wanted): $s"
  [[ $(jq -r '.stdin | "\(.name) \(.cniVersion)"' <<<"$s") == "$net $v" ]] || fail "$v add: name/cniVersion sent: $s"
  [[ $(jq -r .cniVersion <<<"$r") == "$v" ]] || fail "$v add: result version: $r"
  [[ $(jq -cS .stdout <<<"$s") == "$(jq -cS . <<<"$r")" ]] ||
    fail "$v add: libcni's parse of weft's reply lost or changed something: weft $(jq -cS .stdout <<<"$s"), cnitool $(jq -cS . <<<"$r")"
  k=$(jq -r --arg ns "$ns" '.interfaces | map(.sandbox == $ns and .name == "eth0") | index(true)' <<<"$r")
  [[ $k != null ]] || fail "$v add: no eth0 in $ns among the result's interfaces: $r"
  addr=$(jq -r --argjson k "$k" '.ips[] | select(.interface == $k) | .address' <<<"$r")
  [[ $addr =~ ^10\.112\.$i\.([0-9]+)/24$ ]] || fail "$v add: eth0's address '$addr' is not in 10.112.$i.0/24: $r"
  ((BASH_REMATCH[1] > 1 && BASH_REMATCH[1] < 255)) || fail "$v add: $addr is not a host address past the gateway"
  [[ $(jq -r '.ips[0].gateway' <<<"$r") == "10.112.$i.1" ]] || fail "$v add: gateway: $r"
  if [[ $v == 0.* ]]; then
    [[ $(jq -r '.ips[0].version' <<<"$r") == 4 ]] || fail "$v add: ips[].version (types040 requires it): $r"
  fi
  [[ $(jq -cS . "$CACHE/$net-$id-eth0" | jq -cS .result) == "$(jq -cS . <<<"$r")" ]] ||
    fail "$v add: libcni's cached result differs from what cnitool printed"
  jq -r .config "$CACHE/$net-$id-eth0" | base64 -d | cmp -s - "$NETCONFPATH/$net.conflist" ||
    fail "$v add: the cache does not hold the conflist's bytes"
  [[ $(jq -r '[.kind, .containerId, .ifName, .networkName] | join(" ")' "$CACHE/$net-$id-eth0") == "cniCacheV1 $id eth0 $net" ]] ||
    fail "$v add: cache entry: $(cat "$CACHE/$net-$id-eth0")"
  [[ $(ip -n "n$i" -j -4 addr show dev eth0 | jq -r '.[0].addr_info[] | "\(.local)/\(.prefixlen)"') == "$addr" ]] ||
    fail "$v add: eth0 in n$i does not have exactly $addr"
  [[ $(ip -n "n$i" -j link show eth0 | jq -r '.[0].address') == "$(jq -r --argjson k "$k" '.interfaces[$k].mac' <<<"$r")" ]] ||
    fail "$v add: eth0's MAC is not the result's"
  ip netns exec "n$i" ping -c1 -W2 "10.112.$i.1" >/dev/null || fail "$v add: n$i cannot ping its gateway"
  veth=$(jq -r '.interfaces[1].name' <<<"$r")
  [[ $(attached "$ns") == "cn$v ${addr%/*} $veth" ]] || fail "$v add: weft ps: '$(attached "$ns")'"
  ! nft -j list ruleset | jq -e '[.. | numbers] | index(8112)' >/dev/null ||
    fail "$v add: port 8112 published although the list declares no portMappings capability"
  ok "$v: cnitool add: ${addr} on eth0 in n$i (pings 10.112.$i.1), result in $v, cached as $net-$id-eth0, CAP_ARGS withheld"

  # check: libcni sends the cached result as prevResult (0.4.0 and later).
  ct check "$net" "$ns"
  if [[ $v == 0.3.* ]]; then
    expect_cnitool_error "configuration version \"$v\" does not support the CHECK command"
    [[ -z $(calls) ]] || fail "$v check: libcni called the plugin: $(calls)"
    ok "$v: cnitool check refused by libcni itself (CHECK needs 0.4.0), weft not called"
  else
    expect_silent_ok check
    [[ $(calls) == weft:CHECK ]] || fail "$v check: plugin calls '$(calls)'"
    [[ $(sent CHECK | jq -cS .stdin.prevResult) == "$(jq -cS . <<<"$r")" ]] ||
      fail "$v check: prevResult is not the cached result: $(sent CHECK)"
    # A cache that names another address: weft's CHECK compares prevResult
    # with its own record.
    cp "$CACHE/$net-$id-eth0" "$T/cache.saved"
    jq -c --arg a "10.112.$i.250/24" '.result.ips[0].address = $a' "$T/cache.saved" >"$CACHE/$net-$id-eth0"
    ct check "$net" "$ns"
    expect_cnitool_error "10\.112\.$i\.250"
    [[ $(sent CHECK | jq -c '[.rc, .stdout.code]') == '[1,101]' ]] || fail "$v check (tampered): weft's reply: $(sent CHECK)"
    m1=$ERR
    cp "$T/cache.saved" "$CACHE/$net-$id-eth0"
    # Break the attachment: the address goes from eth0.
    ip -n "n$i" addr del "$addr" dev eth0
    ct check "$net" "$ns"
    expect_cnitool_error "${addr%/*}"
    [[ $(sent CHECK | jq -c '[.rc, .stdout.code]') == '[1,101]' ]] || fail "$v check (broken): weft's reply: $(sent CHECK)"
    ok "$v: cnitool check passes with the cached result as prevResult; fails (weft: code 101; cnitool: exit 1) on a tampered cache: $m1; and once eth0 lost its address: $ERR"
  fi

  # del: with the cached prevResult (0.4.0 and later); the cache goes.
  ct del "$net" "$ns"
  expect_silent_ok del
  [[ $(calls) == weft:DEL ]] || fail "$v del: plugin calls '$(calls)'"
  if [[ $v == 0.3.* ]]; then
    [[ $(sent DEL | jq '.stdin | has("prevResult")') == false ]] || fail "$v del: prevResult sent below 0.4.0"
  else
    [[ $(sent DEL | jq -cS .stdin.prevResult) == "$(jq -cS . <<<"$r")" ]] || fail "$v del: prevResult: $(sent DEL)"
  fi
  [[ ! -e $CACHE/$net-$id-eth0 ]] || fail "$v del: libcni's cache entry survived"
  [[ -z $(attached "$ns") ]] || fail "$v del: weft still records: $(attached "$ns")"
  ! ip link show "$veth" >/dev/null 2>&1 || fail "$v del: host veth $veth survived"
  [[ $(ip -n "n$i" -j link show | jq -r '[.[].ifname] | join(" ")') == lo ]] || fail "$v del: n$i still has interfaces besides lo"
  ct del "$net" "$ns"
  expect_silent_ok "del (again)"
  [[ $(sent DEL | jq '.stdin | has("prevResult")') == false ]] || fail "$v second del: a prevResult from nowhere"
  ok "$v: cnitool del: veth $veth, attachment and cache entry gone (prevResult: $([[ $v == 0.3.* ]] && echo none || echo the cached result)); a second del succeeds without prevResult"
  ip netns del "n$i"
done
unset CAP_ARGS

# --- the list's version changes while attached: libcni converts the cache ------
# (and CNI_IFNAME names the interface)
ns=/run/netns/up id=$(cid /run/netns/up)
ip netns add up
export CNI_IFNAME=net1
conflist weftnet-up 0.4.0 cnup 10.112.6.0/24
ct add weftnet-up "$ns"
[[ $RC -eq 0 ]] || fail "add weftnet-up at 0.4.0: $ERR"
r=$OUT
[[ $(sent ADD | jq -r .ifname) == net1 && -e $CACHE/weftnet-up-$id-net1 ]] || fail "CNI_IFNAME=net1 not used: $(sent ADD)"
[[ $(jq -r '.interfaces[2].name' <<<"$r") == net1 && $(container_ipv4 up net1) == "$(jq -r '.ips[0].address | split("/")[0]' <<<"$r")" ]] ||
  fail "net1 in up: $r"
conflist weftnet-up 1.0.0 cnup 10.112.6.0/24
ct check weftnet-up "$ns"
expect_silent_ok "check (list now 1.0.0)"
p=$(sent CHECK | jq -c .stdin.prevResult)
[[ $(jq -r .cniVersion <<<"$p") == 1.0.0 && $(jq '[.ips[] | has("version")] | any' <<<"$p") == false ]] ||
  fail "prevResult not converted to 1.0.0: $p"
[[ $(jq -c '.ips | map(del(.version))' <<<"$r") == "$(jq -c .ips <<<"$p")" ]] || fail "conversion changed the addresses: $p"
conflist weftnet-up 0.4.0 cnup 10.112.6.0/24
ct check weftnet-up "$ns"
expect_silent_ok "check (list back at 0.4.0)"
ct del weftnet-up "$ns"
expect_silent_ok del
[[ -z $(attached "$ns") && ! -e $CACHE/weftnet-up-$id-net1 ]] || fail "weftnet-up still attached or cached: $(attached "$ns")"
unset CNI_IFNAME
ip netns del up
ok "CNI_IFNAME=net1: a 0.4.0 attachment checked under the list changed to 1.0.0 (libcni converts the cached result: ips without version) and back; del cleans it"

# --- a chain through libcni: weft, then Debian's tuning plugin -------------------
if need /usr/lib/cni/tuning containernetworking-plugins; then
  ln -s /usr/lib/cni/tuning "$T/bin/tuning"
  ln -s weft "$T/spy/tuning"
  ns=/run/netns/ch
  for v in 0.4.0 1.0.0; do
    ip netns add ch
    jq -n --arg v "$v" '{cniVersion: $v, name: "weftchain", plugins: [
        {type: "weft", network: "cnchain", subnet: "10.112.7.0/24"}, {type: "tuning", promisc: true}]}' \
      >"$NETCONFPATH/weftchain.conflist"
    ct add weftchain "$ns"
    [[ $RC -eq 0 ]] || fail "$v chain add: $ERR"
    r=$OUT
    [[ $(calls) == "weft:ADD tuning:ADD" ]] || fail "$v chain add: calls '$(calls)'"
    [[ $(sent ADD tuning | jq -cS .stdin.prevResult) == "$(jq -cS . <<<"$r")" ]] ||
      fail "$v chain add: tuning's prevResult (weft's result as libcni re-encodes it) is not the final result: $(sent ADD tuning)"
    [[ $(jq -r .cniVersion <<<"$r") == "$v" && $(jq -r '.ips[0].address' <<<"$r") == 10.112.7.*/24 ]] ||
      fail "$v chain add: result $r"
    ip -n ch -j link show eth0 | jq -e '.[0].flags | index("PROMISC")' >/dev/null || fail "$v chain: tuning did not apply"
    ct check weftchain "$ns"
    expect_silent_ok "check (chain)"
    [[ $(calls) == "weft:CHECK tuning:CHECK" ]] || fail "$v chain check: calls '$(calls)'"
    [[ $(sent CHECK tuning | jq -cS .stdin.prevResult) == "$(jq -cS . <<<"$r")" ]] || fail "$v chain check: tuning's prevResult"
    ct del weftchain "$ns"
    expect_silent_ok "del (chain)"
    [[ $(calls) == "tuning:DEL weft:DEL" ]] || fail "$v chain del: calls '$(calls)' (libcni deletes in reverse)"
    [[ -z $(attached "$ns") && $(ip -n ch -j link show | jq length) == 1 ]] || fail "$v chain del left: $(attached "$ns")"
    ip netns del ch
    ok "$v: chain weft -> tuning through libcni: tuning gets weft's result as prevResult and passes it on; check runs both; del runs tuning, then weft"
  done
fi

# --- versions libcni 1.1.2 and weft do not share ---------------------------------
ns=/run/netns/v11
ip netns add v11
conflist weftnet-1.1.0 1.1.0 cn110 10.112.4.0/24
ct add weftnet-1.1.0 "$ns"
expect_cnitool_error 'unsupported CNI result version "1\.1\.0"'
[[ $(sent ADD | jq -c '[.stdin.cniVersion, .rc, .stdout.cniVersion]') == '["1.1.0",0,"1.1.0"]' ]] ||
  fail "1.1.0 add: weft should have answered a 1.1.0 result: $(sent ADD)"
[[ -n $(attached "$ns") ]] || fail "1.1.0: weft did not attach (it speaks 1.1.0)"
[[ -z $(ls -A "$CACHE") ]] || fail "1.1.0: libcni cached a result it could not parse: $(ls "$CACHE")"
m=$ERR
ct del weftnet-1.1.0 "$ns"
expect_silent_ok "del 1.1.0"
[[ $(sent DEL | jq '.stdin | has("prevResult")') == false ]] || fail "1.1.0 del: prevResult from nowhere"
[[ -z $(attached "$ns") && $(ip -n v11 -j link show | jq length) == 1 ]] || fail "1.1.0 del left: $(attached "$ns")"
ip netns del v11
ok "1.1.0: weft attaches, libcni 1.1.2 rejects the reply ($m); the DEL a runtime then owes leaves nothing"

ns=/run/netns/v02
ip netns add v02
conflist weftnet-0.2.0 0.2.0 cn020 10.112.5.0/24
before=$("$WEFT" --json ps)
ct add weftnet-0.2.0 "$ns"
expect_cnitool_error 'incompatible CNI versions'
[[ $(sent ADD | jq -c '[.rc, .stdout.code]') == '[1,1]' ]] || fail "0.2.0 add: weft's reply: $(sent ADD)"
[[ $("$WEFT" --json ps) == "$before" && $(ip -n v02 -j link show | jq length) == 1 && -z $(ls -A "$CACHE") ]] ||
  fail "0.2.0: a refused add changed something"
ip netns del v02
ok "0.2.0: weft refuses (code 1), cnitool reports: $ERR"

# --- CAP_ARGS portMappings and CNI_ARGS IP=, plain symlink in CNI_PATH ---------
export CNI_PATH=$T/bin
make_outside
ns=/run/netns/p0 id=$(cid /run/netns/p0)
ip netns add p0
conflist weftports 1.0.0 cnports 10.112.10.0/24 '{"capabilities": {"portMappings": true}}'
CAP_ARGS='{"portMappings": [{"hostPort": 8112, "containerPort": 80, "protocol": "tcp"}]}' \
  CNI_ARGS='IgnoreUnknown=1;IP=10.112.10.42' ct add weftports "$ns"
[[ $RC -eq 0 ]] || fail "add weftports: $ERR"
[[ $(jq -r '.ips[0].address' <<<"$OUT") == 10.112.10.42/24 ]] || fail "CNI_ARGS IP= not honoured: $OUT"
[[ $(container_ipv4 p0) == 10.112.10.42 ]] || fail "eth0 in p0 lacks 10.112.10.42"
[[ $(jq -c '[.cniArgs, .capabilityArgs.portMappings[0].hostPort]' "$CACHE/weftports-$id-eth0") == '[[["IgnoreUnknown","1"],["IP","10.112.10.42"]],8112]' ]] ||
  fail "libcni's cache lacks the args: $(cat "$CACHE/weftports-$id-eth0")"
"$WEFT" ps | has "8112->80/tcp" || fail "weft ps shows no 8112->80/tcp: $("$WEFT" ps)"
serve_echo p0 10.112.10.42 80
[[ $(tcp_send outside 198.51.100.1 8112 hello) == hello ]] || fail "published port 8112 not reachable from outside"
ok "CAP_ARGS portMappings (declared by the list) and CNI_ARGS IP=: p0 has 10.112.10.42, the outside reaches it on the host's 8112"
ct check weftports "$ns"
expect_silent_ok check
# del without CAP_ARGS (cnitool passes only what it is given now): weft still
# releases the port from its own record.
ct del weftports "$ns"
expect_silent_ok del
[[ -z $(attached "$ns") ]] || fail "weftports still attached"
! nft -j list ruleset | jq -e '[.. | numbers] | index(8112)' >/dev/null || fail "8112 still in the firewall"
! tcp_send outside 198.51.100.1 8112 hello >/dev/null 2>&1 || fail "8112 still answers after del"
ct del weftports "$ns"
expect_silent_ok "del (again)"
[[ -z $(ls -A "$CACHE") ]] || fail "libcni cache left: $(ls "$CACHE")"
[[ $("$WEFT" --json ps) == "[]" ]] || fail "weft still has containers: $("$WEFT" --json ps)"
[[ -z $(ip -j link show type veth | jq -r '.[].ifname | select(. != "uplink0")') ]] || fail "veths left"
ok "cnitool check, del (no CAP_ARGS: port 8112 released all the same), del again: no attachment, veth, rule or cache entry left"
echo "PASS"
