# weft ns add|ls|rm|inspect: the seed's "before" picture, agreement with the
# kernel's own tools, and refusal of bad names.
source "$(dirname "$0")/lib.sh"

# A fresh namespace: only lo, down, and no routes.
weft ns add a
ip netns list | has -x 'a' || fail "ip netns list does not show a"
json=$(weft ns inspect a --json)
[[ $(jq -r '.name' <<<"$json") == a ]] || fail "name"
[[ $(jq -c '[.interfaces[].name]' <<<"$json") == '["lo"]' ]] || fail "interfaces: $json"
[[ $(jq -r '.interfaces[0].state' <<<"$json") == down ]] || fail "lo should be down"
[[ $(jq -c '.routes' <<<"$json") == '[]' ]] || fail "routes should be empty: $json"
# The kernel agrees.
[[ $(ip -n a -j link show | jq -c '[.[].ifname]') == '["lo"]' ]] || fail "kernel sees more than lo"
ok "fresh namespace shows only lo (down) and no routes"

# weft sees namespaces made by ip netns, and ip netns sees weft's.
ip netns add made-by-ip
weft ns ls --json | jq -e 'map(.name) | index("made-by-ip") != null' >/dev/null || fail "ls misses made-by-ip"
weft ns ls | has '^a ' || fail "table ls misses a"
ip link add v-ip type veth peer name v-in netns made-by-ip
ip -n made-by-ip addr add 192.0.2.5/24 dev v-in
ip -n made-by-ip link set v-in up
weft ns inspect made-by-ip --json | jq -e '.interfaces[] | select(.name=="v-in") | .addresses == ["192.0.2.5/24"]' >/dev/null || fail "inspect of ip's namespace"
ok "ip netns and weft see each other's namespaces"

# Inspect by path and by pid.
weft ns inspect "$WEFT_NETNS_DIR/a" --json | jq -e '.interfaces | length == 1' >/dev/null || fail "by path"
ip netns exec made-by-ip sleep 30 &
sleeper=$!
sleep 0.2
weft ns inspect "pid:$sleeper" --json | jq -e '[.interfaces[].name] | index("v-in") != null' >/dev/null || fail "by pid"
kill $sleeper
ok "inspect by path and by pid"

# host: agrees with ip -j addr and ip -j route of the same namespace.
ip link add br-test type bridge
ip addr add 10.77.0.1/24 dev br-test
ip addr add fd77::1/64 dev br-test nodad
ip link set br-test up
ip route add 10.66.0.0/16 via 10.77.0.2
host=$(weft ns inspect host --json)
want_addrs=$(ip -j addr show | jq -S '[.[] | {name: .ifname, index: .ifindex, mtu, mac: .address, addresses: [.addr_info[] | "\(.local)/\(.prefixlen)"]}] | sort_by(.index)')
got_addrs=$(jq -S '[.interfaces[] | {name, index, mtu, mac, addresses}] | sort_by(.index)' <<<"$host")
[[ $want_addrs == "$got_addrs" ]] || fail "host interfaces differ from ip -j addr: want $want_addrs got $got_addrs"
norm='[.[] | {dst: (if .dst == "default" then "default" elif (.dst | contains("/")) then .dst else .dst + (if (.dst|contains(":")) then "/128" else "/32" end) end), gateway: (.gateway // ""), dev}] | sort_by(.dst)'
want_routes=$( (ip -j route show; ip -6 -j route show) | jq -s -S "add | $norm")
got_routes=$(jq -S ".routes | $norm" <<<"$host")
[[ $want_routes == "$got_routes" ]] || fail "host routes differ: want $want_routes got $got_routes"
ok "inspect host agrees with ip -j addr and ip -j route"

# Text output shows the same picture.
weft ns inspect host | has 'br-test' || fail "text inspect misses br-test"
weft ns inspect host | has '10.66.0.0/16' || fail "text inspect misses the route"

# Removal, and a clear error the second time.
weft ns rm a
ip netns list | has -x 'a' && fail "a still listed"
[[ ! -e $WEFT_NETNS_DIR/a ]] || fail "file left behind"
expect_error 'no network namespace "a"' weft ns rm a
expect_error 'no network namespace "zz"' weft ns inspect zz

# Invalid names: nothing is created.
before=$(ls -1 "$WEFT_NETNS_DIR")
expect_error 'empty' weft ns add ''
expect_error 'long' weft ns add "$(printf 'x%.0s' {1..300})"
expect_error '/' weft ns add 'a/b'
expect_error '\.\.' weft ns add '..'
expect_error 'already exists' weft ns add made-by-ip
[[ $(ls -1 "$WEFT_NETNS_DIR") == "$before" ]] || fail "a refused name created something"

# --dry-run prints the command and creates nothing.
[[ $(weft ns add dry --dry-run) == "ip netns add dry" ]] || fail "dry-run output"
[[ ! -e $WEFT_NETNS_DIR/dry ]] || fail "dry-run created the namespace"

# Usage errors are one line too.
expect_error 'NAME' weft ns add
expect_error '' weft no-such-command
weft ns --help | has inspect || fail "--help"
weft ns inspect --help >/dev/null || fail "ns inspect --help"
ok "010-ns"
