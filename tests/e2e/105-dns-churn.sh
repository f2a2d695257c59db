# DNS under churn (issue #5): queries (dnsperf, 20 outstanding, in batches of
# 2,000, at least 10,000 and for as long as the churn lasts) for containers
# that stay, while other containers (and networks) are created and removed:
# a fixed 8 rounds, however long they take on a busy machine. Every query
# must come back NOERROR, none lost, and the answers must stay right; the
# same weftd serves throughout.
source "$(dirname "$0")/lib.sh"

weft network create churn --ipv6 >/dev/null
for i in 1 2 3 4; do weft create "s$i" --network churn --alias stable >/dev/null; done
weft create client --network churn >/dev/null
weft dns status >/dev/null  # weft create returns before weftd serves the names; this waits
gw=$(weft network inspect churn | jq -r '.subnets[] | select(.gateway | contains(":") | not) | .gateway')
declare -A addr=()
for i in 1 2 3 4; do addr[s$i]=$(container_ipv4 "s$i"); done
pid=$(cat "$WEFT_STATE_DIR/weftd.pid")
alive "$pid" || fail "weftd is not running"

# 10 queries a round, 1,000 rounds: names, aliases, NAME.NETWORK, AAAA, PTR.
s1_rev=$(awk -F. '{ print $4 "." $3 "." $2 "." $1 ".in-addr.arpa" }' <<<"${addr[s1]}")
cat >/run/queries.txt <<EOF
s1 A
s2 A
s3 A
s4 A
s1.churn A
s2.churn AAAA
stable A
stable AAAA
client A
$s1_rev PTR
EOF
# A checking client alongside, for as long as dnsperf runs: dig's batch mode,
# 40 queries a batch; every answer must be the container's own address.
for _ in $(seq 10); do for i in 1 2 3 4; do echo "s$i.churn A"; done; done >/run/check.txt

# Churn: create and remove containers on the same network (with an alias of
# their own), and every 4th round a whole network with a container.
rounds=8
rm -f /run/churn.done /run/churn.err /run/check.stop /run/check.batches
(
  for i in $(seq "$rounds"); do
    {
      weft create "t$i" --network churn --alias temp >/dev/null &&
        weft rm "t$i" || echo "round $i: create/rm t$i failed" >>/run/churn.err
      if ((i % 4 == 0)); then
        weft network create "n$i" >/dev/null && weft create "u$i" --network "n$i" >/dev/null &&
          weft rm "u$i" && weft network rm "n$i" || echo "round $i: network n$i failed" >>/run/churn.err
      fi
    } 2>>/run/churn.err
  done
  touch /run/churn.done
) &
churn=$!

start=$(date +%s%N)
(
  while [[ ! -e /run/check.stop ]]; do
    ip netns exec client dig "@$gw" +tries=1 +time=2 +noall +answer -f /run/check.txt || true
    echo x >>/run/check.batches
  done
) >/run/check.out 2>&1 &
checker=$!
# Batches of 2,000 queries until the churn is done, and at least 5.
perf_stat() { awk -v k="$1" -F: '$1 ~ "^ *" k "$" { sub(/^ +/, "", $2); print $2; exit }' "$2"; }
batches=0
while ((batches < 5)) || [[ ! -e /run/churn.done ]]; do
  out=/run/dnsperf.$batches.out
  ip netns exec client dnsperf -s "$gw" -d /run/queries.txt -n 200 -q 20 -t 2 -Q 1000 >"$out" 2>&1 ||
    fail "dnsperf failed: $(cat "$out")"
  sent=$(perf_stat 'Queries sent' "$out"); completed=$(perf_stat 'Queries completed' "$out")
  lost=$(perf_stat 'Queries lost' "$out"); codes=$(perf_stat 'Response codes' "$out")
  [[ $sent == 2000 ]] || fail "dnsperf batch $batches sent '$sent', want 2000: $(cat "$out")"
  [[ $completed == "2000 (100.00%)" && $lost == "0 (0.00%)" ]] ||
    fail "dnsperf batch $batches: completed $completed, lost $lost: $(cat "$out")"
  [[ $codes == "NOERROR 2000 (100.00%)" ]] || fail "dnsperf batch $batches response codes: $codes: $(cat "$out")"
  batches=$((batches + 1))
done
secs=$((($(date +%s%N) - start) / 1000000000))
touch /run/check.stop
wait "$churn" "$checker"
[[ ! -s /run/churn.err ]] || fail "churn: $(cat /run/churn.err)"
ok "dnsperf: $((batches * 2000)) sent and completed, 0 lost, all NOERROR, throughout $rounds churn rounds"

# The checking client: one answer per query, each the right address.
bad=$(awk '!/^;/ && NF >= 5 { name = $1; sub(/\.churn\.$/, "", name); print name, $5 }' /run/check.out |
  while read -r name a; do [[ ${addr[$name]:-} == "$a" ]] || echo "$name -> $a"; done)
[[ -z $bad ]] || fail "wrong answers under churn: $bad"
n=$(awk '!/^;/ && NF >= 5' /run/check.out | wc -l)
want=$((40 * $(wc -l </run/check.batches)))
[[ $n == "$want" && $n -gt 0 ]] || fail "checking client got $n answers to $want queries: $(grep '^;' /run/check.out | sort | uniq -c | head)"
ok "$n checked answers under churn: every one the container's own address"

# Still the same weftd, and the churned names are gone.
if [[ $(cat "$WEFT_STATE_DIR/weftd.pid") != "$pid" ]] || ! alive "$pid"; then
  fail "weftd was restarted under churn ($pid -> $(cat "$WEFT_STATE_DIR/weftd.pid"))"
fi
# (With no resolver on the host, a name that is not weft's is REFUSED.)
for name in "t$rounds" "t$rounds.churn" temp; do
  out=$(ip netns exec client dig "@$gw" +tries=1 +time=2 "$name" A)
  grep -Eq 'status: (NXDOMAIN|REFUSED),.* ANSWER: 0,' <<<"$(tr '\n' ' ' <<<"$out")" ||
    fail "$name still resolves after its rm: $out"
done
out=$(ip netns exec client dig "@$gw" +tries=1 +time=2 +short stable A | sort)
[[ $out == "$(printf '%s\n' "${addr[@]}" | sort)" ]] || fail "stable after churn: $out"
[[ $(weft ps --json | jq -r '.[].name' | sort | tr '\n' ' ') == "client s1 s2 s3 s4 " ]] || fail "containers left: $(weft ps)"
ok "105-dns-churn (${secs}s of queries, $rounds churn rounds)"
