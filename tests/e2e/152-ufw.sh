# weft next to a real ufw (Debian's 0.36) with its defaults (issue #17):
# "deny incoming" (INPUT policy DROP, established and lo accepted), "deny
# routed" (FORWARD policy DROP), written by ufw through iptables-nft inside the
# sandbox. ufw's configuration is a private copy (/etc/ufw is a tmpfs copy in
# the sandbox's mount namespace), so the machine's ufw is never enabled.
# Checked: containers reach each other, the outside, are reached on a
# published port and resolve names through the gateway's DNS, with ufw
# enabled before weft; `ufw reload` and `ufw disable` + `ufw enable` (which
# rebuild ufw's chains) do not cut them off for more than weftd's resync;
# when weft's network goes, ufw's ruleset is as ufw made it.
source "$(dirname "$0")/lib.sh"
need ufw ufw || exit 0
need iptables-nft iptables || exit 0
T=/run/t152
mkdir -p "$T/etc-ufw"
cp -a /etc/ufw/. "$T/etc-ufw/"
mount -n --bind "$T/etc-ufw" /etc/ufw
[[ -f /etc/default/ufw ]] && grep -q '^DEFAULT_FORWARD_POLICY="DROP"' /etc/default/ufw ||
  fail "/etc/default/ufw does not deny routed traffic: $(cat /etc/default/ufw)"

ufw --force enable >/dev/null || fail "ufw enable"
[[ $(iptables -S INPUT | head -1) == "-P INPUT DROP" && $(iptables -S FORWARD | head -1) == "-P FORWARD DROP" ]] ||
  fail "ufw's defaults are not in force: $(iptables -S | head -3)"
before=$(foreign_ruleset)
ok "ufw $(ufw version | head -1 | awk '{print $2}') enabled in the sandbox: INPUT and FORWARD policy DROP"

make_outside
serve_peer outside 198.51.100.2 7000
printf 'nameserver 198.51.100.2\n' >/etc/resolv.conf
weft network create n1 --subnet 10.94.0.0/24 >/dev/null
weft create c1 --network n1 >/dev/null
weft create c2 --network n1 -p 8080:80 >/dev/null
c2=$(container_ipv4 c2)
serve_peer c2 0.0.0.0 80

works() {
  ip netns exec c1 ping -c1 -W2 "$c2" >/dev/null || { echo "c1 cannot ping $c2"; return 1; }
  [[ $(tcp_send c1 198.51.100.2 7000 x) == 198.51.100.1 ]] || { echo "c1 cannot reach the outside"; return 1; }
  [[ $(tcp_send outside 198.51.100.1 8080 x) == 198.51.100.2 ]] || { echo "the outside cannot reach c2's published port"; return 1; }
  local a
  a=$(weft exec c1 -- getent ahostsv4 c2 | awk '{ print $1 }' | sort -u) || true
  [[ $a == "$c2" ]] || { echo "c1 cannot resolve c2 through the gateway: '$a'"; return 1; }
}
why=$(works) || fail "under ufw: $why"
iptables -S INPUT | has '"weft opening: accept DNS/udp on' || fail "no DNS accept in INPUT: $(iptables -S INPUT)"
iptables -S FORWARD | has '"weft opening: accept from' || fail "no accept in FORWARD: $(iptables -S FORWARD)"
ufw status verbose >/dev/null || fail "ufw cannot read its tables after weft wrote to them"
ok "under ufw's defaults: ping, outside, published port, DNS; ufw status still works"

# wait_rules N: until weft has N rules in foreign chains (weftd's resync).
wait_rules() {
  for _ in $(seq 100); do [[ $(weft_openings) == "$1" ]] && return 0; sleep 0.2; done
  return 1
}
n=$(weft_openings)
ufw reload >/dev/null || fail "ufw reload"
wait_rules "$n" || fail "after ufw reload weftd did not restore weft's rules: $(weft_openings) of $n"
why=$(works) || fail "after ufw reload: $why"
ok "after ufw reload: weft's rules in place, traffic flows"
ufw --force disable >/dev/null || fail "ufw disable"
# Nothing drops any more: weft's rules (if ufw left them) are not needed.
wait_rules 0 || fail "after ufw disable weft's rules stayed: $(nft list ruleset | grep 'weft opening: ')"
why=$(works) || fail "after ufw disable: $why"
ufw --force enable >/dev/null || fail "ufw enable"
# (ufw's second enable writes two ip6 limit rules its first did not: compare
# the end with what ufw made last, less weft's own rules.)
before=$(foreign_ruleset)
wait_rules "$n" || fail "after ufw enable weftd did not restore weft's rules: $(weft_openings) of $n"
why=$(works) || fail "after ufw enable again: $why"
ok "ufw disable: weft's rules go with the need; ufw enable: weftd puts them back"

weft rm c1 c2 >/dev/null
weft network rm n1 >/dev/null
[[ $(weft_openings) == 0 ]] || fail "weft's rules left behind"
after=$(foreign_ruleset)
[[ $after == "$before" ]] || fail "ufw's ruleset changed: $(diff <(echo "$before") <(echo "$after"))"
ok "after the network went, ufw's ruleset is exactly as ufw made it"
