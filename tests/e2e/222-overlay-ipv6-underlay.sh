# An overlay network over an IPv6 underlay (issue #13, item 2): two hosts
# join with their IPv6 underlay addresses and reach etcd over IPv6; the VXLAN
# device's MTU is the underlay's less 70 (IPv6 and UDP and VXLAN and
# Ethernet headers); each node's FDB points at the other node's IPv6 address;
# containers on the two nodes talk (IPv4 and IPv6 inside, TCP with bytes
# counted) by address and by name; every encapsulated packet crossed the
# underlay as IPv6 (bytes counted on the underlay bridge, none as IPv4).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../cluster.sh"
source "$(dirname "$0")/overlay_lib.sh"
need etcd etcd-server || exit 0
need etcdctl etcd-client || exit 0

cluster_up --hosts 2 --etcd 1 --ipv6
for h in h1 h2; do
  on "$h" weft cluster join --store "$CLUSTER_ETCD6" --underlay "${CLUSTER_ADDR6[$h]}" >/dev/null ||
    fail "$h: join over IPv6"
done
ls=$(on h1 weft --json cluster ls) || fail "cluster ls"
for h in h1 h2; do
  got=$(jq -r --arg n "$h" '.nodes[] | select(.name == $n) | .underlay' <<<"$ls")
  [[ $got == "${CLUSTER_ADDR6[$h]}" ]] || fail "cluster ls shows $h's underlay as [$got], want ${CLUSTER_ADDR6[$h]}"
done
ok "two nodes joined etcd at $CLUSTER_ETCD6 with IPv6 underlay addresses"

ul_mtu=$(on h1 ip -j link show eth0 | jq -r '.[0].mtu')
expect_error --rc 3 "MTU $((ul_mtu - 60)) is too large for this host.s underlay: at most $((ul_mtu - 70))" \
  on h1 weft network create big --driver overlay --mtu $((ul_mtu - 60))
on h1 weft network create ov --driver overlay --subnet 10.234.0.0/16 --subnet fd34::/64 >/dev/null ||
  fail "create ov (dual stack) over the IPv6 underlay"
vni=$(on h1 weft --json network inspect ov | jq -r .vni)
on h1 weft create a1 --network ov >/dev/null || fail "create a1 on h1"
on h2 weft create a2 --network ov >/dev/null || fail "create a2 on h2"
a1=$(ip_of h1 a1) a2=$(ip_of h2 a2)
a2v6=$(on h2 weft --json inspect a2 | jq -r '.networks[0].ipv6')
[[ $a2v6 == fd34:* ]] || fail "a2 has no IPv6 address of fd34::/64 ([$a2v6])"

# The VXLAN device on each node: local address its IPv6 underlay address,
# MTU the underlay's less 70; its FDB entry's destination the other node's.
for h in h1 h2; do
  vx=$(on "$h" ip -d -j link show "wvx$vni") || fail "$h has no VXLAN device wvx$vni"
  [[ $(jq -r '.[0].linkinfo.info_data | .local // .local6' <<<"$vx") == "${CLUSTER_ADDR6[$h]}" ]] ||
    fail "$h: wvx$vni's local address is not ${CLUSTER_ADDR6[$h]}: $(jq -c '.[0].linkinfo.info_data' <<<"$vx")"
  [[ $(jq -r '.[0].mtu' <<<"$vx") == $((ul_mtu - 70)) ]] ||
    fail "$h: wvx$vni's MTU is $(jq -r '.[0].mtu' <<<"$vx"), want $((ul_mtu - 70)) (underlay - 70)"
done
dsts=$(on h1 bridge -j fdb show dev "wvx$vni" | jq -r '[.[] | select(.dst) | .dst] | join(" ")')
[[ $dsts == "${CLUSTER_ADDR6[h2]}" ]] || fail "h1's FDB on wvx$vni points at [$dsts], want ${CLUSTER_ADDR6[h2]}"
ok "wvx$vni: local address the node's IPv6 underlay address, MTU $((ul_mtu - 70)); h1's FDB entry points at h2's IPv6 address"

# Count what crosses the underlay bridge: VXLAN over IPv6 and over IPv4.
nft -f - <<'EOF' || fail "cannot add the counting table in the outer sandbox"
table bridge t222 {
  counter vx6 { }
  counter vx4 { }
  chain crossing {
    type filter hook forward priority 0; policy accept;
    ether type ip6 udp dport 4789 counter name vx6
    ether type ip udp dport 4789 counter name vx4
  }
}
EOF
# Bytes, not packets: the bridge forwards GSO packets of many segments.
crossed() { nft -j list counter bridge t222 "$1" | jq -r '.nftables[] | select(.counter) | .counter.bytes'; }

reach h1 a1 "$a2" || fail "a1 (h1) cannot ping a2 (h2) across the IPv6 underlay"
inside h1 a1 ping -6 -c1 -W2 "$a2v6" >/dev/null || fail "a1 cannot ping a2's IPv6 address $a2v6"
on_bg h2 ip netns exec a2 socat -T5 -u TCP-LISTEN:7000,reuseaddr OPEN:/run/shared/222.bytes,creat,trunc
wait_listen h2 a2 7000
head -c 200000 /dev/urandom >"$CLUSTER_DIR/shared/222.sent"
inside h1 a1 socat -T5 -u OPEN:/run/shared/222.sent TCP:"$a2":7000 || fail "TCP a1 -> a2 failed"
deadline=$((SECONDS + 15))
until cmp -s "$CLUSTER_DIR/shared/222.sent" "$CLUSTER_DIR/shared/222.bytes"; do
  ((SECONDS < deadline)) || fail "a2 received $(stat -c %s "$CLUSTER_DIR/shared/222.bytes" 2>/dev/null || echo no) bytes of 200000, or other bytes"
  sleep 0.1
done
resolves h1 a1 a2 || fail "a1 (h1) does not resolve a2 (h2)"
got=$(inside h1 a1 getent ahosts a2 | awk '{print $1}' | sort -u | tr '\n' ' ')
[[ $got == *"$a2 "* && $got == *"$a2v6 "* ]] || fail "a2 resolves on h1 to [$got], want $a2 and $a2v6"
v6=$(crossed vx6) v4=$(crossed vx4)
((v6 > 200000)) || fail "only $v6 bytes of VXLAN crossed the underlay over IPv6 (200000 went by TCP)"
[[ $v4 == 0 ]] || fail "$v4 bytes of VXLAN crossed the underlay over IPv4"
ok "a1 (h1) and a2 (h2) talk over the IPv6 underlay: ping (IPv4 and IPv6), 200000 bytes by TCP intact, a2 by name (A and AAAA); $v6 bytes of VXLAN over IPv6, 0 over IPv4"
nft delete table bridge t222

on h1 weft rm a1 >/dev/null || fail "rm a1"
on h2 weft rm a2 >/dev/null || fail "rm a2"
for h in h1 h2; do
  [[ -z $(on "$h" ip -br link show type vxlan) ]] || fail "$h keeps a VXLAN device after its last container"
done
ok "the last container on each node takes the node's presence with it"
