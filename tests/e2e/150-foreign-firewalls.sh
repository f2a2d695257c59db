# weft next to the firewalls people already run (issue #17): with dockerd's
# iptables defaults (FORWARD policy DROP, DOCKER-USER, br_netfilter on: the
# sandbox's bridge-nf-call-iptables is 1), ufw's (INPUT policy DROP with only
# established traffic and lo accepted; routed traffic dropped) and
# firewalld's shape (an nft table whose forward base chain drops), weft's
# containers reach each other, the outside, are reached on published ports and
# resolve names through the gateway's DNS. weft adds only its own commented
# accept rules to the chains that would drop its traffic; removing them
# breaks traffic (so the scenario is real), `weft reconcile` and weftd (by
# itself) put them back; a firewall that appears after weft is handled; when
# the last network goes the foreign ruleset is exactly as it was. Faults: a
# foreign table deleted with weft's rules in it, iptables-legacy rules that
# weft cannot edit (status says so, with the commands).
source "$(dirname "$0")/lib.sh"

need iptables-nft iptables || exit 0

# --- the foreign firewalls, before weft --------------------------------------
# dockerd's iptables defaults.
iptables -P FORWARD DROP
iptables -N DOCKER-USER
iptables -A DOCKER-USER -j RETURN
iptables -N DOCKER-ISOLATION-STAGE-1
iptables -A DOCKER-ISOLATION-STAGE-1 -j RETURN
iptables -A FORWARD -j DOCKER-USER
iptables -A FORWARD -j DOCKER-ISOLATION-STAGE-1
ip6tables -P FORWARD DROP
# ufw's defaults: deny incoming (but established and lo), deny routed.
iptables -N ufw-before-input
iptables -A ufw-before-input -i lo -j ACCEPT
iptables -A ufw-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A INPUT -j ufw-before-input
iptables -P INPUT DROP
ip6tables -P INPUT DROP
# firewalld's shape: its own inet table, a forward chain that drops.
nft add table inet fwld
nft add chain inet fwld filter_FORWARD '{ type filter hook forward priority 10; policy drop; }'
nft add rule inet fwld filter_FORWARD ct state established,related accept
before=$(foreign_ruleset)
iptables -S >/dev/null || fail "iptables cannot read its table before weft"

make_outside
serve_peer outside 198.51.100.2 7000
printf 'nameserver 198.51.100.2\n' >/etc/resolv.conf

# --- weft on top ----------------------------------------------------------------
weft network create n1 --subnet 10.91.0.0/24 --ipv6 --subnet fd91::/64 >/dev/null
weft create c1 --network n1 >/dev/null
weft create c2 --network n1 -p 8080:80 >/dev/null
c2=$(container_ipv4 c2)
c2v6=$(container_ipv6 c2)
serve_peer c2 0.0.0.0 80

works() {
  ip netns exec c1 ping -c1 -W2 "$c2" >/dev/null || { echo "c1 cannot ping $c2"; return 1; }
  ip netns exec c1 ping -6 -c1 -W2 "$c2v6" >/dev/null || { echo "c1 cannot ping $c2v6"; return 1; }
  [[ $(tcp_send c1 198.51.100.2 7000 x) == 198.51.100.1 ]] || { echo "c1 cannot reach the outside as the host"; return 1; }
  [[ $(tcp_send outside 198.51.100.1 8080 x) == 198.51.100.2 ]] || { echo "the outside cannot reach c2's published port"; return 1; }
  local a
  a=$(weft exec c1 -- getent ahostsv4 c2 | awk '{ print $1 }' | sort -u) || true
  [[ $a == "$c2" ]] || { echo "c1 cannot resolve c2 through the gateway: '$a'"; return 1; }
}
why=$(works) || fail "with foreign firewalls: $why"
ok "with Docker's, ufw's and firewalld's default drops: ping (v4, v6, bridged), outside, published port, DNS all work"

# What weft added, in the kernel's word.
iptables -S DOCKER-USER | has -- '-A DOCKER-USER -i weft[0-9]* .*--comment "weft opening: accept from' ||
  fail "no accept in DOCKER-USER: $(iptables -S DOCKER-USER)"
iptables -S FORWARD | has weft && fail "weft wrote into FORWARD although DOCKER-USER exists: $(iptables -S FORWARD)"
iptables -S INPUT | has -- '-p udp .*--dport 53 .*"weft opening: accept DNS/udp' || fail "no DNS accept in INPUT: $(iptables -S INPUT)"
ip6tables -S FORWARD | has 'weft opening: accept to' || fail "no accept in ip6 FORWARD: $(ip6tables -S FORWARD)"
nft list chain inet fwld filter_FORWARD | has 'comment "weft opening: accept from' || fail "nothing in firewalld's chain"
[[ $(iptables -S FORWARD | head -1) == "-P FORWARD DROP" ]] || fail "FORWARD's policy changed"
# iptables (as dockerd and ufw use it) still reads and checks its table.
iptables -C ufw-before-input -i lo -j ACCEPT || fail "iptables -C fails on a table weft wrote to"
iptables -S >/dev/null 2>&1 || fail "iptables -S fails"
ok "weft's rules: DOCKER-USER (not FORWARD), INPUT DNS, ip6 FORWARD, firewalld's chain; iptables reads them"

s=$(weft status --json)
jq -e '.openings.in_sync and (.openings.added | length) > 0 and ([.foreign_chains[] | .table + " " + .chain + " " + .why] | index("filter FORWARD policy drop") != null)' <<<"$s" >/dev/null ||
  fail "weft status: $s"
weft status | has "ip filter chain FORWARD (hook forward) would drop weft's traffic: policy drop" || fail "status text: $(weft status)"
ok "weft status names the dropping chains and what weft added"
d=$(weft doctor --json) || fail "weft doctor with every chain opened: $d"
for chain in 'ip filter chain FORWARD' 'ip filter chain INPUT' 'ip6 filter chain FORWARD' 'inet fwld chain filter_FORWARD'; do
  jq -e --arg c "$chain" 'any(.notes[]; startswith($c + " ") and test("handled"))' <<<"$d" >/dev/null ||
    fail "doctor has no 'handled' note for $chain: $d"
done
ok "weft doctor: no problems; Docker's, ufw's and firewalld's chains noted as handled"

# --- the scenario is real: without weft's rules, traffic stops -----------------
stop_weftd() {
  pid=$(cat "$WEFT_STATE_DIR/weftd.pid" 2>/dev/null || true)
  [[ -n $pid ]] && kill -STOP "$pid"
}
stop_weftd  # so that it does not put them back while we look
delete_ours() {
  nft -a list ruleset 2>/dev/null | awk '/^table/ {t=$2" "$3} /^\tchain/ {c=$2} /comment "weft opening: / {print t, c, $NF}' |
    while read -r fam tab ch h; do nft delete rule "$fam" "$tab" "$ch" handle "$h"; done
}
delete_ours
[[ $(weft_openings) == 0 ]] || fail "could not delete weft's rules"
ip netns exec c1 ping -c1 -W1 "$c2" >/dev/null && fail "c1 pings c2 without weft's accept rules: the test proves nothing"
rc=0
out=$(weft status 2>&1) || rc=$?
((rc != 0)) || fail "weft status is happy with its accept rules gone"
grep -q "missing: ip filter DOCKER-USER: accept from" <<<"$out" || fail "status does not say what is missing: $out"
out=$(weft doctor --json 2>/dev/null) && fail "doctor is happy with weft's accept rules gone: $out"
jq -e 'any(.findings[]; .check == "foreign_firewall" and (.problem | test("ip filter chain FORWARD .*missing from DOCKER-USER")))' \
  <<<"$out" >/dev/null || fail "doctor does not name Docker's FORWARD chain: $out"
weft reconcile >/dev/null 2>&1
kill -CONT "$pid"
why=$(works) || fail "after weft reconcile: $why"
weft status >/dev/null || fail "status after reconcile: $(weft status)"
ok "without weft's rules ping fails and status says what is missing; weft reconcile restores service"

# --- weftd puts them back by itself -------------------------------------------
n=$(weft_openings)
stop_weftd
delete_ours
kill -CONT "$pid"
for _ in $(seq 100); do [[ $(weft_openings) == "$n" ]] && break; sleep 0.2; done
[[ $(weft_openings) == "$n" ]] || fail "weftd did not restore weft's rules: $(weft_openings) of $n"
why=$(works) || fail "after weftd's repair: $why"
sleep 3  # two resync ticks: no rewrite storm
[[ $(weft_openings) == "$n" ]] || fail "rules changed again without cause"
jq -e '.firewall_repairs == 1' <<<"$(echo '{"op":"status"}' | socat - UNIX-CONNECT:"$WEFT_STATE_DIR/weftd.sock")" >/dev/null ||
  fail "weftd repaired other than once"
ok "weftd restores deleted rules by itself, once"

# --- a firewall that appears after weft ----------------------------------------
nft add table ip late
nft add chain ip late late_fwd '{ type filter hook forward priority 5; policy drop; }'
for _ in $(seq 100); do nft list chain ip late late_fwd | has 'weft opening: accept to' && break; sleep 0.2; done
nft list chain ip late late_fwd | has "weft opening: accept to" || fail "weftd did not open a chain that appeared later: $(nft list chain ip late late_fwd; tail -20 "$WEFT_STATE_DIR"/weftd.log; echo "{\"op\":\"status\"}" | socat - UNIX-CONNECT:"$WEFT_STATE_DIR/weftd.sock")"
why=$(works) || fail "after a firewall appeared later: $why"
ok "a forward-drop chain that appears later is opened by weftd within seconds"

# --- faults -------------------------------------------------------------------
nft delete table ip late  # with weft's rules in it
weft status >/dev/null || fail "status after a foreign table with weft's rules was deleted: $(weft status)"
why=$(works) || fail "after the foreign table went: $why"
if need iptables-legacy iptables; then
  iptables-legacy -P FORWARD DROP
  out=$(weft status 2>&1) || true
  grep -q "iptables-legacy's filter table is loaded; weft cannot see or edit it.*iptables-legacy -I FORWARD -i weft[0-9]* -j ACCEPT" <<<"$out" ||
    fail "status says nothing of iptables-legacy: $out"
  out=$(weft status --json 2>/dev/null) || true
  jq -e '.legacy_iptables | length == 1' <<<"$out" >/dev/null || fail "legacy in --json: $out"
  out=$(weft doctor --json 2>/dev/null) && fail "doctor is happy with iptables-legacy's filter table: $out"
  jq -e 'any(.findings[]; .check == "foreign_firewall" and (.problem | test("iptables-legacy")) and (.fix | test("iptables-legacy -I FORWARD -i weft")))' \
    <<<"$out" >/dev/null || fail "doctor says nothing of iptables-legacy: $out"
  iptables-legacy -P FORWARD ACCEPT
  ok "iptables-legacy: status says weft cannot edit it, with the commands to run"
fi

# --- the last network goes: the foreign ruleset is as it was -------------------
weft rm c1 c2 >/dev/null
weft network rm n1 >/dev/null
[[ $(weft_openings) == 0 ]] || fail "weft's rules left behind: $(nft list ruleset | grep 'weft opening: ')"
after=$(foreign_ruleset)
[[ $after == "$before" ]] || fail "the foreign ruleset changed: $(diff <(echo "$before") <(echo "$after"))"
ok "after the last network the foreign ruleset is exactly as before"
