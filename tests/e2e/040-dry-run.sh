# --dry-run changes nothing, and its commands, pasted into a fresh sandbox,
# build the same working network by hand.
source "$(dirname "$0")/lib.sh"

before=$(snapshot)
plan_net=$(weft network create lab --ipv6 --dry-run)
[[ $(snapshot) == "$before" ]] || fail "network create --dry-run changed something"
grep -q '^ip link add weft0 .*type bridge$' <<<"$plan_net" || fail "plan lacks the bridge: $plan_net"
grep -q 'masquerade' <<<"$plan_net" || fail "plan lacks masquerade"
grep -q '^sysctl -w net.ipv4.ip_forward=1$' <<<"$plan_net" || fail "plan lacks forwarding"
ok "network create --dry-run: $(wc -l <<<"$plan_net") commands, nothing changed"

# The real network, so container plans have something to refer to.
weft network create lab --ipv6 >/dev/null
before=$(snapshot)
plan_c1=$(weft create c1 --network lab --dry-run)
plan_c2=$(weft create c2 --network lab --ip 10.89.0.3 --dry-run)
[[ $(snapshot) == "$before" ]] || fail "create --dry-run changed something"
grep -q '^ip netns add c1$' <<<"$plan_c1" || fail "plan lacks netns: $plan_c1"
grep -Eq 'type veth peer name eth0 address 02:57:0a:59:00:[0-9a-f]{2} netns c1' <<<"$plan_c1" || fail "plan lacks veth (with the MAC from its address): $plan_c1"
grep -q 'route add default via 10.89.0.1' <<<"$plan_c1" || fail "plan lacks default route"
weft create c9 --network lab >/dev/null
before=$(snapshot)
weft rm c9 --dry-run | has '^ip netns delete c9' || fail "rm plan lacks the namespace's deletion"
weft rm c9 --dry-run | has '^ip link delete veth' && fail "rm plan deletes the veth (it goes with the namespace)"
weft network rm lab --dry-run --force | has '^ip link delete weft0$' || fail "network rm plan"
[[ $(snapshot) == "$before" ]] || fail "rm --dry-run changed something"
ok "create/rm --dry-run change nothing"

# Paste the plans into a fresh sandbox: the same network, by hand.
script=$(mktemp)
cat >"$script" <<SCRIPT
set -euo pipefail
$plan_net
$plan_c1
$plan_c2
SCRIPT
out=$(WEFT_IN_SANDBOX= "$WEFT_SRC/tests/sandbox" bash -c '
  set -euo pipefail
  source "$WEFT_SRC/tests/e2e/lib.sh"
  bash "$1"
  make_outside
  serve_peer c1 0.0.0.0 7001
  serve_peer outside 198.51.100.2 80
  echo "c2->c1 $(tcp_send c2 10.89.0.2 7001 x)"
  echo "c1->outside $(tcp_send c1 198.51.100.2 80 x)"
' bash "$script")
rm -f "$script"
grep -qx 'c2->c1 10.89.0.3' <<<"$out" || fail "hand-built network: c2 cannot reach c1: $out"
grep -qx 'c1->outside 198.51.100.1' <<<"$out" || fail "hand-built network: no NAT: $out"
ok "pasted plans built a working network by hand (TCP between containers, NAT out)"
ok "040-dry-run"
