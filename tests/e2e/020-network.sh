# weft network create|ls|inspect|rm: subnets from the pool or given, overlap
# checks, gateways on the bridge, one masquerade rule per network.
source "$(dirname "$0")/lib.sh"

weft network create n1 >/dev/null
j=$(weft network inspect n1)
[[ $(jq -r .driver <<<"$j") == bridge ]] || fail "driver"
br=$(jq -r .bridge <<<"$j")
sub=$(jq -r '.subnets[0].subnet' <<<"$j")
gw=$(jq -r '.subnets[0].gateway' <<<"$j")
[[ $sub == 10.89.0.0/24 && $gw == 10.89.0.1 ]] || fail "first pool subnet: $sub $gw"
# The kernel's word: the bridge exists, is up, and holds the gateway.
ip -j link show "$br" | jq -e '.[0].linkinfo.info_kind == "bridge" and (.[0].flags | index("UP"))' >/dev/null ||
  ip -d -j link show "$br" | jq -e '.[0].linkinfo.info_kind == "bridge"' >/dev/null || fail "no bridge $br"
ip -j addr show dev "$br" | jq -e '.[0].addr_info | map(.local) | index("10.89.0.1") != null' >/dev/null || fail "gateway not on bridge"
[[ $(cat /proc/sys/net/ipv4/ip_forward) == 1 ]] || fail "forwarding off"
nft -j list chain inet weft postrouting | jq -e '[.nftables[].rule? | select(.) | select(.comment == "weft network n1")] | length == 1' >/dev/null || fail "masquerade rule for n1"
ok "n1: bridge $br with $gw on $sub, forwarding on, one masquerade rule"

# The next network takes the next free subnet; one that overlaps a host route is skipped.
ip link add dummy0 type veth peer name dummy1
ip addr add 10.89.1.5/24 dev dummy0
weft network create n2 --ipv6 >/dev/null
j2=$(weft network inspect n2)
[[ $(jq -r '.subnets[0].subnet' <<<"$j2") == 10.89.2.0/24 ]] || fail "n2 should skip 10.89.1.0/24 (host address): $j2"
v6=$(jq -r '.subnets[1].subnet' <<<"$j2")
[[ $v6 == fd* && $v6 == */64 ]] || fail "n2 v6 subnet: $v6"
ip -j -6 addr show dev "$(jq -r .bridge <<<"$j2")" | jq -e --arg g "$(jq -r '.subnets[1].gateway' <<<"$j2")" '.[0].addr_info | map(.local) | index($g) != null' >/dev/null || fail "v6 gateway"
[[ $(cat /proc/sys/net/ipv6/conf/all/forwarding) == 1 ]] || fail "v6 forwarding off"
ok "pool skips subnets used on the host; --ipv6 adds a ULA /64"

# Given subnet and gateway; internal; mtu.
weft network create n3 --subnet 172.30.0.0/16 --gateway 172.30.0.254 --internal --mtu 1400 >/dev/null
j3=$(weft network inspect n3)
[[ $(jq -r '.subnets[0].gateway' <<<"$j3") == 172.30.0.254 && $(jq -r .internal <<<"$j3") == true ]] || fail "n3: $j3"
[[ $(ip -j link show "$(jq -r .bridge <<<"$j3")" | jq -r '.[0].mtu') == 1400 ]] || fail "n3 mtu"
nft -j list chain inet weft postrouting | jq -e '[.nftables[].rule? | select(.) | select(.comment == "weft network n3")] | length == 0' >/dev/null || fail "internal network must have no NAT"
ok "given subnet/gateway/mtu; internal network has no masquerade"

# ls shows all three; --json too.
[[ $(weft network ls --json | jq -r 'map(.name) | join(",")') == n1,n2,n3 ]] || fail "ls --json"
weft network ls | has '^n3 ' || fail "ls table"

# Bad input: one line, nothing changed.
before=$(snapshot)
expect_error --rc 5 'already exists' weft network create n1
expect_error 'overlaps network "n1"' weft network create x --subnet 10.89.0.128/25
expect_error 'overlaps .* on the host' weft network create x --subnet 10.89.1.0/24
expect_error --rc 3 'invalid subnet' weft network create x --subnet 10.0.0.1/24
expect_error 'invalid' weft network create x --subnet nonsense
expect_error 'not in any subnet' weft network create x --subnet 10.50.0.0/24 --gateway 10.51.0.1
expect_error 'unknown network driver' weft network create x --driver macvlan
expect_error 'longer than 63' weft network create "$(printf 'n%.0s' {1..64})"
expect_error 'only letters' weft network create 'bad name'
expect_error 'MTU' weft network create x --mtu 10
expect_error --rc 4 'no network "nope"' weft network rm nope
WEFT_SUBNET_POOL=10.200.0.0/24,24 weft network create p1 >/dev/null
before=$(snapshot)
expect_error --rc 7 'no free /24' env WEFT_SUBNET_POOL=10.200.0.0/24,24 "$WEFT" network create p2
[[ $(snapshot) == "$before" ]] || fail "a refused command changed kernel or store"
ok "bad input refused, nothing changed"

# rm: bridge and rule go; refused while containers are attached unless --force.
weft create c1 --network n1 >/dev/null
expect_error --rc 6 'containers attached \(c1\)' weft network rm n1
weft network rm --force n1
ip link show "$br" 2>/dev/null && fail "bridge $br left behind"
nft -j list chain inet weft postrouting | jq -e '[.nftables[].rule? | select(.) | select(.comment == "weft network n1")] | length == 0' >/dev/null || fail "n1 rule left"
[[ $(weft ps --json | jq -r '.[0].networks | length') == 0 ]] || fail "c1 still has an endpoint"
for n in n2 n3 p1; do weft network rm "$n"; done
weft rm c1
[[ $(ip -j link show | jq '[.[] | select(.ifname | startswith("weft") or startswith("veth"))] | length') == 0 ]] || fail "links left"
ok "020-network"
