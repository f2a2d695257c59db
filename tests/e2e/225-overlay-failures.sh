# Overlay networks when things fail (issue #13, item 6), on two hosts and a
# three-member etcd: one member down changes nothing; with the whole store
# down, bridge networks and the traffic of existing overlay endpoints go on,
# a change that needs the store fails with one line within bounded time,
# local containers can still be removed, and the cluster catches up when the
# store returns; a restarted weftd resumes and repairs the kernel's state;
# two nodes creating containers at once never share an address.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../cluster.sh"
source "$(dirname "$0")/overlay_lib.sh"
need etcd etcd-server || exit 0
need etcdctl etcd-client || exit 0

cluster_up --hosts 2 --etcd 3
for h in h1 h2; do on "$h" weft cluster join --store "$CLUSTER_ETCD" >/dev/null || fail "$h: join"; done
on h1 weft network create ov --driver overlay --subnet 10.240.0.0/16 >/dev/null || fail "create ov"
on h1 weft network create ow --driver overlay --subnet 10.241.0.0/16 >/dev/null || fail "create ow"
vni=$(on h1 weft --json network inspect ov | jq -r .vni)
eps() { ectl get --prefix --keys-only /weft/v1/endpoints/ov/ | grep -v '^$' | sed 's#.*/##' | sort | tr '\n' ' '; }

# --- two nodes create containers at once: no address twice ---------------------------

pids=()
for i in $(seq 1 8); do
  on h1 weft create "p1-$i" --network ov >/dev/null & pids+=($!)
  on h2 weft create "p2-$i" --network ov >/dev/null & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent create failed"; done
addrs=$( (for i in $(seq 1 8); do ip_of h1 "p1-$i"; ip_of h2 "p2-$i"; done) | sort)
[[ $(uniq <<<"$addrs" | wc -l) == 16 ]] || fail "16 concurrent creates on two nodes gave $(uniq <<<"$addrs" | wc -l) distinct addresses"
reach h1 p1-1 "$(ip_of h2 p2-8)" || fail "p1-1 (h1) cannot ping p2-8 (h2)"
for i in $(seq 2 8); do on h1 weft rm "p1-$i" >/dev/null; on h2 weft rm "p2-$i" >/dev/null; done
ok "16 containers created at once on two nodes: 16 distinct addresses"

# --- one member of three down: everything works ------------------------------------------

etcd_stop e1
on h1 weft create a1 --network ov >/dev/null || fail "create a1 with e1 down"
on h2 weft create a2 --network ov >/dev/null || fail "create a2 with e1 down"
a1=$(ip_of h1 a1) a2=$(ip_of h2 a2)
reach h1 a1 "$a2" || fail "a1 cannot ping a2 with e1 down"
resolves h1 a1 a2 || fail "a1 cannot resolve a2 with e1 down"
etcd_start e1
ok "one etcd member of three down: containers are made, talk and resolve across nodes"

# --- the whole store down ---------------------------------------------------------------

on h2 weft create b2 --network ov >/dev/null || fail "create b2"
b2=$(ip_of h2 b2)
reach h1 a1 "$b2" || fail "a1 cannot ping b2 before the store goes"
for m in e1 e2 e3; do etcd_stop "$m"; done
# Existing endpoints keep talking, by address and by name (each node's
# kernel and DNS hold what they had).
reach h1 a1 "$a2" || fail "a1 cannot ping a2 with the store down"
inside h1 a1 getent hosts a2 >/dev/null || fail "a1 cannot resolve a2 with the store down"
# Listing still shows this host's networks, overlays included, with a warning.
out=$(on h1 weft network ls 2>/dev/null) || fail "network ls with the store down failed"
grep -q '^ov .*overlay' <<<"$out" || fail "network ls with the store down lost ov: $out"
# Bridge networks need no store.
on h1 weft network create br >/dev/null || fail "bridge network create with the store down"
on h1 weft create c1 --network br >/dev/null 2>&1 || fail "bridge container with the store down"
# A change that needs the store fails with one line, within bounded time.
start=$SECONDS
expect_error 'etcd' on h2 weft create x2 --network ow
((SECONDS - start <= 10)) || fail "an overlay create with the store down took $((SECONDS - start)) s"
on h2 test -e /run/netns/x2 && fail "the refused create left x2's namespace behind"
# A local container can still be removed; the cluster catches up later.
on h2 weft rm b2 >/dev/null 2>&1 || fail "rm b2 with the store down"
for m in e1 e2 e3; do etcd_start --no-wait "$m"; done
for m in e1 e2 e3; do _cluster_etcd_healthy 30 "http://${CLUSTER_ADDR[$m]}:2379" "$m" || fail "etcd $m not healthy"; done
deadline=$((SECONDS + 20))
until [[ $(eps) != *b2* ]]; do
  ((SECONDS < deadline)) || fail "b2's endpoint is still published 20 s after the store returned: $(eps)"
  sleep 0.5
done
deadline=$((SECONDS + 10))
until on h1 weft create a3 --network ov >/dev/null 2>&1; do
  ((SECONDS < deadline)) || fail "no overlay create 10 s after the store returned"
  sleep 0.5
done
reach h1 a1 "$a2" || fail "a1 cannot ping a2 after the store returned"
ok "store down: existing overlay traffic and names, bridges and removals work; an overlay change fails in one line; the cluster catches up"

# --- weftd restarted: it resumes and repairs ------------------------------------------

on h1 pkill -9 -x weftd || fail "no weftd on h1"
on h1 bridge fdb del "$(ectl get --print-value-only /weft/v1/nodes/h2 | jq -r .vtep_mac)" dev "wvx$vni" ||
  fail "could not delete h1's FDB entry for h2"
on h1 weft ps >/dev/null  # any command starts weftd again
deadline=$((SECONDS + 10))
until inside h1 a1 ping -c1 -W1 "$a2" >/dev/null; do
  ((SECONDS < deadline)) || fail "the FDB entry for h2 did not come back after weftd restarted"
done
ok "a restarted weftd repairs the fabric"

on h1 weft rm a1 a3 c1 p1-1 >/dev/null || fail "rm on h1"
on h2 weft rm a2 p2-1 >/dev/null || fail "rm on h2"
cluster_down
