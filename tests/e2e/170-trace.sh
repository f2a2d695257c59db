# weft trace: a real probe followed by the kernel's nftables tracing. Allowed
# paths are delivered (with the masquerade and DNAT shown), blocked ones name
# the exact dropping rule, nothing is sent outside the machine, and the
# ruleset is exactly as before after every trace, also after SIGINT or a
# trace killed outright.
source "$(dirname "$0")/lib.sh"
make_outside

weft network create n1 >/dev/null
weft network create n2 >/dev/null
weft network create lan --internal >/dev/null
weft network create quiet --icc=false >/dev/null
weft create c1 --network n1 >/dev/null
weft create c2 --network n1 -p 8080:80 >/dev/null
weft create c3 --network n2 >/dev/null
weft create i1 --network lan >/dev/null
weft create q1 --network quiet >/dev/null
weft create q2 --network quiet >/dev/null
serve_peer c2 0.0.0.0 80
serve_peer q2 0.0.0.0 80
c1_ip=$(container_ipv4 c1)
c2_ip=$(container_ipv4 c2)

# The outside counts every probe-like packet that reaches it: weft trace must
# never send one there.
ip netns exec outside nft -f - <<'NFT'
table inet count {
  chain pre { type filter hook prerouting priority -300; policy accept;
    tcp dport 443 counter
    icmp type echo-request counter
  }
}
NFT
outside_packets() { ip netns exec outside nft -j list table inet count | jq '[.nftables[].rule? | select(.) | .expr[] | .counter? | select(.) | .packets] | add'; }

before=$(nft list ruleset)
[[ -n $before ]] || fail "no ruleset to compare with"
same_ruleset() {
  [[ $(nft list ruleset) == "$before" ]] || fail "ruleset changed by '$*': $(diff <(echo "$before") <(nft list ruleset))"
}

# trace SRC DST: weft --json trace, checked to leave the ruleset as it was.
trace() {
  local out
  out=$(weft --json trace "$@") || fail "weft trace $* failed"
  same_ruleset "trace $*"
  printf '%s\n' "$out"
}
summary() { jq -r .summary <<<"$1"; }
result() { jq -r .result <<<"$1"; }
has_hop() { jq -e --arg w "$2" --arg t "$3" '.hops | any(.where == $w and (.what | contains($t)))' <<<"$1" >/dev/null; }

# --- Allowed paths.
t=$(trace c1 c2:80)
[[ $(result "$t") == delivered ]] || fail "c1 -> c2:80: $(summary "$t")"
[[ $(summary "$t") == "delivered to container c2 ($c2_ip) (it answered)" ]] || fail "c1 -> c2:80 summary: $(summary "$t")"
has_hop "$t" c1 "route to $c2_ip: on the link of eth0" || fail "c1 -> c2: no route hop in c1: $t"
has_hop "$t" bridge "(container c1) to veth" || fail "c1 -> c2: no bridge crossing: $t"
has_hop "$t" forward "traffic within one network (icc) (rule forward #1)" || fail "c1 -> c2: icc accept not shown: $t"
ok "c1 -> c2:80 on one network: delivered across the bridge, icc rule shown"

t=$(trace c1 c2)
[[ $(summary "$t") == "delivered to container c2 ($c2_ip) (it answered)" ]] || fail "c1 -> c2 icmp: $(summary "$t")"
t=$(trace c1 c2:81/udp)
[[ $(summary "$t") == "delivered to container c2 ($c2_ip) (refused: nothing listens on udp/81)" ]] ||
  fail "c1 -> c2:81/udp: $(summary "$t")"
ok "icmp echo answered; udp to a closed port reaches c2 and is refused there"

t=$(trace c1 198.51.100.2:443)
[[ $(summary "$t") == "leaves the machine by uplink0 as 198.51.100.1 (masquerade)" ]] || fail "c1 -> outside: $(summary "$t")"
has_hop "$t" postrouting "masquerade (weft network n1, rule postrouting #1): source $c1_ip becomes 198.51.100.1" ||
  fail "c1 -> outside: masquerade not shown: $t"
has_hop "$t" forward "outbound from networks (rule forward #7), out by uplink0" || fail "c1 -> outside: forward accept: $t"
t=$(trace host 198.51.100.2)
[[ $(result "$t") == leaves ]] || fail "host -> outside: $(summary "$t")"
[[ $(outside_packets) == 0 ]] || fail "a probe reached the outside ($(outside_packets) packets)"
ok "c1 -> outside: masquerade shown, stops at uplink0, nothing reached the outside"

t=$(trace host host:8080)
[[ $(summary "$t") == "delivered to container c2 ($c2_ip:80), published on host (127.0.0.1) (it answered)" ]] ||
  fail "host -> host:8080: $(summary "$t")"
has_hop "$t" output "DNAT (published ports (ipv4, any host address), rule output #5): destination becomes container c2 ($c2_ip:80)" ||
  fail "host -> host:8080: DNAT not shown: $t"
t=$(trace c3 198.51.100.1:8080)
[[ $(result "$t") == delivered ]] || fail "c3 -> published 8080: $(summary "$t")"
has_hop "$t" prerouting "destination becomes container c2 ($c2_ip:80)" || fail "c3 -> 8080: DNAT not shown: $t"
has_hop "$t" forward "published ports (rule forward #5)" || fail "c3 -> 8080: published-ports accept not shown: $t"
# Only the SYN is the probe: the handshake's last ACK is not traced.
has_hop "$t" forward "replies to allowed connections" && fail "c3 -> 8080: a later packet was traced: $t"
t=$(trace host host:8081)
[[ $(summary "$t") == "delivered to host (127.0.0.1) (refused: nothing listens on tcp/8081)" ]] ||
  fail "host -> unpublished host:8081: $(summary "$t")"
jq -e '.hops | any(.what | contains("DNAT")) | not' <<<"$t" >/dev/null || fail "unpublished 8081 shows a DNAT: $t"
ok "published port from the host and from another network: DNAT to c2 shown, delivered; unpublished 8081: no DNAT"

# --- Blocked paths: the exact rule.
t=$(trace c1 c3:80)
[[ $(summary "$t") == "dropped: isolation between networks n1 and n2 (rule forward #6)" ]] || fail "c1 -> c3: $(summary "$t")"
t=$(trace q1 q2:80)
[[ $(summary "$t") == "dropped: network quiet keeps its containers apart (--icc=false) (rule forward #6)" ]] ||
  fail "q1 -> q2 (icc=false): $(summary "$t")"
t=$(trace c3 "$c2_ip:80")
[[ $(summary "$t") == "dropped: isolation between networks n2 and n1 (rule forward #6)" ]] ||
  fail "c3 -> c2's unpublished address: $(summary "$t")"
ok "between networks, --icc=false, and a container port reached without publishing: dropped by rule forward #6"

t=$(trace i1 198.51.100.2)
[[ $(result "$t") == unreachable ]] || fail "internal -> outside: $(summary "$t")"
[[ $(summary "$t") == *"network lan is internal"* ]] || fail "internal -> outside: $(summary "$t")"
# A container that adds its own way out still meets weft's rule.
gw=$(ip -n i1 -j -4 route show | jq -r '.[0].prefsrc' | sed 's/\.[0-9]*$/.1/')
ip -n i1 route add default via "$gw"
t=$(trace i1 198.51.100.2)
[[ $(summary "$t") == "dropped: network lan is internal: nothing leaves it (rule forward #2)" ]] ||
  fail "internal with a route -> outside: $(summary "$t")"
[[ $(outside_packets) == 0 ]] || fail "a probe reached the outside"
ok "--internal: no route out, and with one the drop by rule forward #2"

# --- Text output.
text=$(weft trace c1 c3:80)
same_ruleset "text trace"
grep -q "^  1\. c1: route to $(container_ipv4 c3): via gateway" <<<"$text" || fail "text: no numbered route hop: $text"
grep -qx "dropped: isolation between networks n1 and n2 (rule forward #6)" <<<"$text" || fail "text: $text"
ok "text output: numbered hops and the verdict"

# --- Refusals.
expect_error 'no container "nope"' weft trace c1 nope:80
expect_error "outside the machine" weft trace 198.51.100.2 c1
expect_error "icmp has no port" weft trace c1 c2:80/icmp
same_ruleset "refusals"

# --- Interrupted: SIGINT while the probe is out removes the trace tables.
# (The listing is read whole: grep -q closing the pipe early would fail it
# under pipefail.)
has_trace_tables() { [[ $(nft list tables) == *"inet weft-trace"* ]]; }
wait_trace_tables() {
  for _ in $(seq 100); do has_trace_tables && return 0; sleep 0.05; done
  return 0
}
errfile=$(mktemp)
"$WEFT" trace --wait 5000 c1 c3:80 >/dev/null 2>"$errfile" &
pid=$!
wait_trace_tables
has_trace_tables || fail "trace tables never appeared: $(cat "$errfile")"
kill -INT $pid
rc=0
wait $pid || rc=$?
[[ $rc -ne 0 ]] || fail "an interrupted trace exited 0"
grep -q interrupted "$errfile" || fail "no 'interrupted' message: $(cat "$errfile")"
rm -f "$errfile"
same_ruleset "SIGINT"
"$WEFT" trace --wait 5000 c1 c3:80 >/dev/null 2>&1 &
pid=$!
wait_trace_tables
kill -TERM $pid
wait $pid || true
same_ruleset "SIGTERM"
ok "SIGINT and SIGTERM: the trace tables go, exit non-zero"

# A trace killed outright leaves its tables; the next trace replaces and
# removes them.
"$WEFT" trace --wait 5000 c1 c3:80 >/dev/null 2>&1 &
pid=$!
wait_trace_tables
kill -KILL $pid
wait $pid || true
has_trace_tables || fail "SIGKILL: expected the tables to be left behind"
t=$(trace c1 c2:80)
[[ $(result "$t") == delivered ]] || fail "trace after a killed one: $(summary "$t")"
ok "after a killed trace, the next one cleans up"
