# weft cluster join / ls / leave (issue #13, item 1) on three hosts of the
# many-hosts harness with a three-member etcd: nodes register under leases
# that weftd renews, every node sees the same membership, a host that dies
# drops out of everyone's view within the lease's TTL while the others stay,
# bad input changes nothing, and leaving takes the node's keys with it.
# Overlay networks' cluster-wide records (item 2's first half): created on
# one node, listed, inspected and removed from any other.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../cluster.sh"
need etcd etcd-server || exit 0
need etcdctl etcd-client || exit 0

cluster_up --hosts 3 --etcd 3
store=$CLUSTER_ETCD

# names_on HOST: the node names HOST's `weft cluster ls --json` lists.
names_on() { on "$1" weft --json cluster ls | jq -r '[.nodes[].name] | join(" ")'; }
# keys: the node keys etcd itself holds (read with etcdctl, not weft).
keys() { ectl get --prefix /weft/v1/nodes/ --keys-only | grep -v '^$' | sed 's#.*/##' | sort | tr '\n' ' '; }

# --- bad input: one line, its exit code, nothing written -----------------------

expect_error --rc 4 'not in a cluster' on h1 weft cluster ls
expect_error --rc 6 'driver overlay needs a cluster store' on h1 weft network create ov --driver overlay
expect_error --rc 3 'etcd' on h1 weft cluster join --store http://10.200.0.101:2379
expect_error --rc 3 'no store' on h1 weft cluster join
expect_error --rc 3 'underlay 10.9.9.9 is not an address of this host' \
  on h1 weft cluster join --store "$store" --underlay 10.9.9.9
expect_error --rc 4 'no interface or address "nosuch"' \
  on h1 weft cluster join --store "$store" --underlay nosuch
expect_error --rc 3 'node name' on h1 weft cluster join --store "$store" --node 'bad/name'
# A store nobody serves (an underlay address no member has).
expect_error --rc 9 '10.200.0.250' on h1 weft cluster join --store etcd://10.200.0.250:2379
on h1 test -e /run/weft/cluster.json && fail "a refused join left cluster.json behind"
[[ -z $(on h1 ls -A /run/weft) ]] || fail "refused joins left files in h1's state dir: $(on h1 ls -A /run/weft)"
[[ -z $(keys) ]] || fail "a refused join left node keys in etcd: $(keys)"

# --- three hosts join ---------------------------------------------------------

for h in h1 h2 h3; do
  out=$(on "$h" weft cluster join --store "$store") || fail "$h: join failed: $out"
  [[ $out == "joined $store as $h (underlay ${CLUSTER_ADDR[$h]})" ]] || fail "$h: join said: $out"
done
[[ $(keys) == "h1 h2 h3 " ]] || fail "etcd holds node keys [$(keys)], want h1 h2 h3"
for h in h1 h2 h3; do
  [[ $(names_on "$h") == "h1 h2 h3" ]] || fail "$h lists [$(names_on "$h")]"
done
ls_json=$(on h2 weft --json cluster ls)
for h in h1 h2 h3; do
  got=$(jq -r --arg h "$h" '.nodes[] | select(.name == $h) | .underlay' <<<"$ls_json")
  [[ $got == "${CLUSTER_ADDR[$h]}" ]] || fail "$h's underlay in ls: $got, want ${CLUSTER_ADDR[$h]}"
done
[[ $(jq -r '[.nodes[].vtep_mac] | unique | length' <<<"$ls_json") == 3 ]] || fail "VTEP MACs not distinct: $ls_json"
[[ $(jq -r '[.nodes[] | select(.self)] | map(.name) | join(",")' <<<"$ls_json") == h2 ]] || fail "self is not h2: $ls_json"
# Each record lives under a lease of its own (etcd's word), of weft's TTL.
for h in h1 h2 h3; do
  # (-w fields: lease IDs exceed what jq's doubles hold exactly.)
  lease=$(ectl get "/weft/v1/nodes/$h" -w fields | sed -n 's/^"Lease" : //p')
  [[ -n $lease && $lease != 0 ]] || fail "$h's record has no lease"
  ttl=$(ectl lease timetolive "$(printf '%x' "$lease")" -w fields | sed -n 's/^"GrantedTTL" : //p')
  [[ $ttl == 10 ]] || fail "$h's lease granted TTL $ttl, want 10"
done
ok "h1, h2 and h3 joined; each lists all three with their underlay addresses and distinct VTEP MACs; etcd holds three leased records"
table=$(on h1 weft cluster ls)
grep -Eq "^h1 \(this\) +${CLUSTER_ADDR[h1]//./\\.} +02:" <<<"$table" || fail "ls table: $table"


# --- overlay networks: one record in etcd, seen from every node ---------------

out=$(on h1 weft network create ov --driver overlay --dry-run)
[[ $out == *"overlay network ov (10.224.0.0/16, VNI lowest free)"* ]] || fail "dry run said: $out"
[[ -z $(ectl get --prefix /weft/v1/networks/ --keys-only) ]] || fail "--dry-run wrote to etcd"
[[ $(on h1 weft network create ov --driver overlay) == ov ]] || fail "create ov"
[[ $(on h2 weft network create ov2 --driver overlay --subnet 10.225.0.0/16 --vni 42 --internal) == ov2 ]] || fail "create ov2"
ins=$(on h3 weft network inspect ov)
[[ $(jq -r '[.driver, .vni, .scope, .subnets[0].subnet, .subnets[0].gateway] | join(" ")' <<<"$ins") == "overlay 4096 cluster 10.224.0.0/16 10.224.0.1" ]] || fail "inspect ov on h3: $ins"
[[ $(on h1 weft network inspect ov2 | jq -r '[.vni, .internal] | join(" ")') == "42 true" ]] || fail "inspect ov2 on h1"
row=$(on h3 weft network ls | awk '$1 == "ov2"')
[[ $(awk '{print $2, $3, $4, $5, $6}' <<<"$row") == "overlay - 10.225.0.0/16 yes 0" ]] || fail "ls on h3: $row"
[[ $(on h2 weft --json network ls | jq -r '[.[] | select(.scope == "cluster") | .name] | join(" ")') == "ov ov2" ]] || fail "ls --json on h2"
# What etcd itself holds (etcdctl, not weft): the records, their VNIs, subnets.
[[ $(ectl get --prefix /weft/v1/vnis/ --keys-only | grep -v '^$' | sort | tr '\n' ' ') == "/weft/v1/vnis/4096 /weft/v1/vnis/42 " ]] || fail "etcd VNIs: $(ectl get --prefix /weft/v1/vnis/ --keys-only)"
expect_error --rc 5 'already exists' on h3 weft network create ov --driver overlay
expect_error --rc 5 'VNI 42 is taken by network "ov2"' on h3 weft network create ov3 --driver overlay --vni 42
expect_error --rc 5 'overlaps network "ov"' on h3 weft network create ov3 --driver overlay --subnet 10.224.128.0/17
expect_error --rc 3 'an overlay network needs an IPv4 subnet' on h3 weft network create ov3 --driver overlay --subnet fd33::/64
expect_error --rc 3 'vni is for --driver overlay' on h3 weft network create br --vni 7
on h1 test -e /run/netns/c1 && fail "a refused create left a namespace"
on h2 weft network rm ov2
expect_error --rc 4 'no network "ov2"' on h1 weft network inspect ov2
[[ -z $(ectl get /weft/v1/vnis/42 --keys-only) && -z $(ectl get /weft/v1/subnets/10.225.0.0_16 --keys-only) ]] || fail "ov2's VNI or subnet key outlived it"
[[ $(on h3 weft network create ov2 --driver overlay --subnet 10.225.0.0/16 --vni 42) == ov2 ]] || fail "ov2's name, subnet and VNI were not free again"
ok "overlay networks: created on one node, listed and inspected on the others, VNI/subnet/name conflicts refused, removed from any node"

expect_error --rc 5 'already in a cluster' on h1 weft cluster join --store "$store"
on h3 weft cluster leave
expect_error --rc 5 'node name "h2" is already in the cluster \(held by 10\.200\.0\.12' \
  on h3 weft cluster join --store "$store" --node h2
[[ $(keys) == "h1 h2 " ]] || fail "refused join as h2 changed etcd: [$(keys)]"
on h3 weft cluster join --store "$store" >/dev/null
ok "leave then rejoin works; a taken name is refused naming its holder"

# --- weftd renews the leases; a dead host drops out, the others stay ----------

for h in h1 h2 h3; do
  on "$h" pgrep -x weftd >/dev/null || fail "$h: no weftd running to renew the lease"
done
t0=$(date +%s)
host_kill h3
gone=""
# Bounded by the clock, not by a count of polls (each poll is a weft run
# and an etcd read, slow on a busy machine). etcd expires the lease 10 s
# after the last renewal; the bound leaves room for a loaded leader.
while (( $(date +%s) - t0 < 30 )); do
  [[ $(names_on h1) == "h1 h2" ]] && { gone=$(( $(date +%s) - t0 )); break; }
  sleep 0.2
done
[[ -n $gone ]] || fail "h3 still listed 30 s after it died: [$(names_on h1)]"
# By now more than a TTL has passed since h1 and h2 joined: only renewals
# keep them. And a few seconds more.
sleep 3
[[ $(names_on h2) == "h1 h2" ]] || fail "h2 lists [$(names_on h2)] after h3's death, want h1 h2"
[[ $(keys) == "h1 h2 " ]] || fail "etcd holds [$(keys)]"
status=$(on h1 weft --json dns status)
[[ $(jq -r '.cluster.joined' <<<"$status") == true && $(jq -r '.cluster.error' <<<"$status") == "" ]] || fail "weftd's cluster status on h1: $status"
ok "h3 killed: gone from every view after $gone s; h1 and h2 kept alive by weftd's renewals"

# --- a restarted host joins again after its old lease expired ------------------
host_start h3
on h3 weft cluster join --store "$store" >/dev/null || fail "h3 could not join again after a reboot"
[[ $(names_on h1) == "h1 h2 h3" ]] || fail "after h3's rejoin h1 lists [$(names_on h1)]"
ok "h3 rebooted and joined again"

# --- leaving ------------------------------------------------------------------
on h2 weft cluster leave
[[ $(names_on h1) == "h1 h3" ]] || fail "after h2 left, h1 lists [$(names_on h1)]"
on h2 test -e /run/weft/cluster.json && fail "h2's cluster.json is still there"
expect_error --rc 4 'not in a cluster' on h2 weft cluster leave
# With the whole store down, leave refuses (the lease would live on) unless forced.
for m in e1 e2 e3; do etcd_stop "$m"; done
expect_error --rc 9 'force' on h1 weft cluster leave
on h1 test -e /run/weft/cluster.json || fail "a refused leave removed h1's cluster.json"
on h1 weft cluster leave --force
on h1 test -e /run/weft/cluster.json && fail "leave --force kept h1's cluster.json"
for m in e1 e2 e3; do etcd_start --no-wait "$m"; done
ok "leave revokes at once; with the store down it refuses unless --force"

ok "210-cluster"
