# The many-hosts harness (tests/cluster.sh; issues #13 and #14): three hosts
# that are sandboxes of their own on one underlay, a three-member etcd, the
# faults the overlay tests need, and nothing left behind when it goes down.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../cluster.sh"
need etcd etcd-server || exit 0
need etcdctl etcd-client || exit 0

# procs: the outer sandbox's PIDs, read by this shell itself (no process of
# its own in the list).
procs() {
  local p
  for p in /proc/[0-9]*; do [[ -e $p/stat ]] && echo "${p#/proc/}"; done
  return 0
}
ns_ino() { stat -L -c %i "/proc/$1/ns/$2"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
t_start=$(date +%s%N)
before_links=$(ip -br link | awk '{print $1}' | sort)
before_netns=$(ls -1 "$WEFT_NETNS_DIR")
before_mounts=$(findmnt -rn -o TARGET,SOURCE,FSTYPE | sort)
procs >/run/procs.before

t0=$(date +%s%N)
cluster_up --hosts 3 --etcd 3 --ipv6
[[ ${CLUSTER_HOSTS[*]} == "h1 h2 h3" && ${CLUSTER_MEMBERS[*]} == "e1 e2 e3" ]] || fail "nodes: ${CLUSTER_HOSTS[*]} / ${CLUSTER_MEMBERS[*]}"
[[ $CLUSTER_ETCD == etcd://10.200.0.101:2379,10.200.0.102:2379,10.200.0.103:2379 ]] || fail "CLUSTER_ETCD=$CLUSTER_ETCD"
[[ $CLUSTER_ETCD6 == "etcd://[fd00:200::101]:2379,[fd00:200::102]:2379,[fd00:200::103]:2379" ]] || fail "CLUSTER_ETCD6=$CLUSTER_ETCD6"
ok "3 hosts and 3 etcd members up and healthy in $(ms_since "$t0") ms"

# --- each node is a sandbox of its own ------------------------------------------

nodes=(h1 h2 h3 e1 e2 e3)
for ns in pid net mnt uts; do
  seen=$(ns_ino $$ "$ns")
  for n in "${nodes[@]}"; do seen+=" $(ns_ino "${CLUSTER_PID[$n]}" "$ns")"; done
  # shellcheck disable=SC2086 # one inode a word
  [[ $(printf '%s\n' $seen | sort -u | wc -l) == 7 ]] || fail "$ns namespaces not distinct (outer, ${nodes[*]}): $seen"
done
# What a node sees of itself, in one visit: its hostname, its PID 1, the
# processes it sees, its /run and its /sys's links.
# shellcheck disable=SC2016 # the node's bash expands it
self_view='hostname; tr "\0" " " </proc/1/cmdline; echo; p=$(ps -e -o comm=); sort -u <<<"$p" | tr "\n" " "; echo
  findmnt -n -o SOURCE --mountpoint /run | tail -1; ls /sys/class/net | tr "\n" " "; echo'
for n in "${nodes[@]}"; do
  etcd=""
  if [[ $n == e* ]]; then etcd="etcd "; fi
  want="$n
bash $CLUSTER_DIR/node-init $n $CLUSTER_DIR/shared $(readlink -m /etc/resolv.conf) 
bash ${etcd}ps sleep 
weft-$n
eth0 lo "
  got=$(on "$n" bash -c "$self_view")
  [[ $got == "$want" ]] || fail "$n sees itself as:
$got
want:
$want"
done
ok "6 nodes: distinct pid, net, mnt and uts namespaces; each sees its own init, processes, /run and /sys"

# --- the underlay -----------------------------------------------------------------

addrs=()
for h in h1 h2 h3; do
  a=${CLUSTER_ADDR[$h]} a6=${CLUSTER_ADDR6[$h]}
  on "$h" ip -j addr show dev eth0 | jq -e --arg a "$a" --arg a6 "$a6" \
    '.[0].addr_info | map(.local) | index($a) != null and index($a6) != null' >/dev/null || fail "$h's eth0 lacks $a or $a6"
  [[ $(on "$h" ip -j route show default | jq -r '.[0].gateway') == "$CLUSTER_GW" ]] || fail "$h's default route"
  addrs+=("$a" "$a6")
done
# shellcheck disable=SC2016 # the hosts' bash expands it
pingall='for a; do ping -c1 -W2 -q "$a" >/dev/null || { echo "no answer from $a"; exit 1; }; done'
for h in h1 h2 h3; do
  on "$h" bash -c "$pingall" _ "${addrs[@]}" || fail "$h cannot reach every host's underlay address"
done
ok "every host reaches every host's underlay address (${addrs[*]})"

# --- what one host makes, the others do not see -----------------------------------

on h1 ip netns add x
on h1 weft ns add y
[[ $(on h1 ip netns list | awk '{print $1}' | sort | tr '\n' ' ') == "x y " ]] || fail "h1's namespaces: $(on h1 ip netns list)"
[[ -z $(on h2 ip netns list) && -z $(on h3 weft ns ls --json | jq -r '.[].name') ]] || fail "h2 or h3 sees h1's namespaces"
[[ $(ls -1 "$WEFT_NETNS_DIR") == "$before_netns" ]] || fail "the outer sandbox sees h1's namespaces: $(ls "$WEFT_NETNS_DIR")"
on h1 weft network create n1 >/dev/null
br=$(on h1 weft network inspect n1 | jq -r .bridge)
[[ $(on h1 weft network ls --json | jq -r 'map(.name) | join(",")') == n1 ]] || fail "h1 does not list n1"
[[ $(on h2 weft network ls --json | jq -r 'length') == 0 ]] || fail "h2 lists h1's network: $(on h2 weft network ls)"
on h2 test -e /run/weft/weft.db && fail "h2 has a store before using weft"
[[ -e $WEFT_STATE_DIR/weft.db ]] && fail "the outer sandbox has a store"
on h2 ip link show "$br" >/dev/null 2>&1 && fail "h2 has h1's bridge $br"
ip link show "$br" >/dev/null 2>&1 && fail "the outer sandbox has h1's bridge $br"
# Each store is its own: h2 makes its own n1, on the same subnet, without conflict.
on h2 weft network create n1 >/dev/null
for h in h1 h2; do
  [[ $(on "$h" weft network inspect n1 | jq -r '.subnets[0].gateway') == 10.89.0.1 ]] || fail "$h's n1 gateway"
  on "$h" ip -j addr show dev "$br" | jq -e '.[0].addr_info | map(.local) | index("10.89.0.1") != null' >/dev/null || fail "$h's $br lacks 10.89.0.1"
done
on h1 weft create c1 --network n1 >/dev/null
[[ $(on h1 sqlite3 /run/weft/weft.db "select node from container_nodes where container = 'c1'") == h1 ]] || fail "c1's node is not h1 (WEFT_NODE)"
ok "namespaces, networks, bridges and stores made on h1 stay on h1; h2 makes its own n1 on the same subnet"

# weftd started by weft inside a host runs in it (re-parented to its init).
wpid=$(on h1 cat /run/weft/weftd.pid)
[[ $(on h1 cat "/proc/$wpid/comm") == weftd ]] || fail "h1's weftd.pid $wpid is not weftd inside h1"
[[ $(on h1 grep -Po '^PPid:\s*\K\d+' "/proc/$wpid/status") == 1 ]] || fail "h1's weftd is not a child of h1's init"
on h1 weft dns status --json | jq -e '.running == true' >/dev/null || fail "h1's weft does not see its weftd"
ok "h1's weftd (pid $wpid inside h1) runs under h1's init"

# --- etcd -------------------------------------------------------------------------

for h in h1 h2 h3; do
  health=$(on "$h" etcdctl --endpoints="$CLUSTER_ETCD_ENDPOINTS" --command-timeout=5s endpoint health -w json) || fail "endpoint health from $h: $health"
  jq -e 'length == 3 and all(.health)' <<<"$health" >/dev/null || fail "endpoint health from $h: $health"
done
[[ $(ectl member list | awk -F', ' '{print $2, $3}' | sort | tr '\n' ' ') == "started e1 started e2 started e3 " ]] || fail "members: $(ectl member list)"
ep() { echo "http://${CLUSTER_ADDR[$1]}:2379"; }
on h1 etcdctl --endpoints="$(ep e1)" put /weft/test hello >/dev/null
[[ $(on h2 etcdctl --endpoints="$(ep e3)" get --print-value-only /weft/test) == hello ]] || fail "value put on e1 not read on e3"
[[ $(on h3 etcdctl --endpoints="http://[${CLUSTER_ADDR6[e2]}]:2379" get --print-value-only /weft/test) == hello ]] || fail "not read on e2 over IPv6"
on e1 test -d /run/etcd/member || fail "e1's data dir"
on h1 test -e /run/etcd && fail "h1 sees an etcd data dir"
ok "etcd healthy on 3 members from every host; put on e1, read on e3 and on e2 (IPv6)"

# The leader goes: the other two elect another and take writes; it comes back
# and catches up.
leader=$(ectl endpoint status | awk -F', ' '$5 == "true" {print $1}')
for m in e1 e2 e3; do [[ $leader == "$(ep "$m")" ]] && leader=$m; done
[[ $leader == e? ]] || fail "no leader: $(ectl endpoint status)"
t0=$(date +%s%N)
etcd_stop "$leader"
# A write in flight when the leader goes waits out its timeout (etcd drops
# proposals forwarded to a dead leader): short timeouts and a retry, as any
# client must.
tries=1
until ectl --command-timeout=1s put /weft/during-outage yes >/dev/null 2>&1; do
  [[ $(ms_since "$t0") -lt 15000 ]] || fail "2 of 3 members take no write in 15 s"
  tries=$((tries + 1))
done
ms=$(ms_since "$t0")
health=$(ectl --dial-timeout=1s --command-timeout=1s endpoint health -w json 2>/dev/null) && fail "health with $leader down: $health"
[[ $(jq -c 'map(select(.health)) | length' <<<"$health") == 2 ]] || fail "health with $leader down: $health"
etcd_start "$leader"
[[ $(etcdctl --endpoints="$(ep "$leader")" get --consistency=s --print-value-only /weft/during-outage) == yes ]] ||
  fail "$leader did not catch up"
ok "leader $leader stopped: write taken by the other two after $ms ms ($tries tries); restarted, it caught up"

# --- the underlay cut -------------------------------------------------------------

underlay_cut h2
on h1 ping -c1 -W0.5 -q "${CLUSTER_ADDR[h2]}" >/dev/null 2>&1 && fail "h1 reaches h2 across a cut underlay"
on h2 ip -j link show eth0 | jq -e '.[0].flags | index("NO-CARRIER")' >/dev/null || fail "h2's eth0 has carrier while cut"
underlay_restore h2
on h1 ping -c1 -W2 -q "${CLUSTER_ADDR[h2]}" >/dev/null || fail "h1 does not reach h2 after the underlay came back"
ok "underlay_cut h2: h1 loses h2; underlay_restore: back"

# --- host_kill --------------------------------------------------------------------

on h3 weft network create n3 >/dev/null
on h3 weft create c3 --network n3 >/dev/null
on_bg h3 sleep 600
init3=${CLUSTER_PID[h3]}
pidns3=$(ns_ino "$init3" pid) netns3=$(ns_ino "$init3" net)
mapfile -t pids3 < <(host_pids h3)
[[ ${#pids3[@]} -ge 4 ]] || fail "h3 runs ${#pids3[@]} processes"
printf '%s\n' "${pids3[@]}" | has -x "$CLUSTER_BG_PID" || fail "on_bg's sleep $CLUSTER_BG_PID is not in h3"
for p in "${pids3[@]}"; do
  if [[ $(cat "/proc/$p/comm") == weftd ]]; then weftd3=$p; fi
done
[[ -n ${weftd3:-} ]] || fail "no weftd among h3's processes"
# A probe link into c3's namespace (which only h3's mount namespace holds):
# it goes when that namespace does.
nsenter --net="/proc/$init3/root/run/netns/c3" ip link add probe type veth peer name probe-c3 netns $$
ip link show probe-c3 >/dev/null || fail "no probe into c3"
t0=$(date +%s%N)
host_kill h3
ms=$(ms_since "$t0")
for p in "${pids3[@]}"; do alive "$p" && fail "h3's process $p ($(cat "/proc/$p/comm")) survived host_kill"; done
left=$(stat -L -c '%n %i' /proc/[0-9]*/ns/pid /proc/[0-9]*/ns/net 2>/dev/null | awk -v a="$pidns3" -v b="$netns3" '$2 == a || $2 == b') || true
[[ -z $left ]] || fail "still in h3's namespaces: $left"
ip link show ul-h3 >/dev/null 2>&1 && fail "ul-h3 survived h3"
ip link show probe-c3 >/dev/null 2>&1 && fail "c3's namespace survived h3"
rc=0
on h3 true 2>/dev/null || rc=$?
[[ $rc == 125 ]] || fail "on a killed host: rc $rc, want 125"
on h1 ping -c1 -W2 -q "${CLUSTER_ADDR[h2]}" >/dev/null || fail "h1 lost h2 when h3 died"
on h1 weft network ls --json | jq -e 'map(.name) == ["n1"]' >/dev/null || fail "h1's networks changed when h3 died"
alive "$wpid" || on h1 test -d "/proc/$wpid" || fail "h1's weftd died with h3"
ok "host_kill h3 in $ms ms: its ${#pids3[@]} processes (weftd $weftd3 among them), namespaces, c3's namespace and ul-h3 gone; h1 and h2 unaffected"

# host_start: h3 again, as after a reboot (an empty /run).
host_start h3
[[ ${CLUSTER_PID[h3]} != "$init3" ]] || fail "h3 has its old init"
[[ $(on h3 weft network ls --json | jq -r length) == 0 && -z $(on h3 ip netns list) ]] || fail "h3 kept state across host_kill"
on h1 ping -c1 -W2 -q "${CLUSTER_ADDR6[h3]}" >/dev/null || fail "h1 does not reach the restarted h3"
ok "host_start h3: back on the underlay with nothing of before"

# --- cluster_down: nothing left ----------------------------------------------------

t0=$(date +%s%N)
cluster_down
ms=$(ms_since "$t0")
[[ $(ip -br link | awk '{print $1}' | sort) == "$before_links" ]] || fail "links left: $(ip -br link)"
[[ $(ls -1 "$WEFT_NETNS_DIR") == "$before_netns" ]] || fail "namespaces left: $(ls "$WEFT_NETNS_DIR")"
[[ $(findmnt -rn -o TARGET,SOURCE,FSTYPE | sort) == "$before_mounts" ]] || fail "mounts differ: $(findmnt -rn -o TARGET,SOURCE,FSTYPE | sort)"
[[ ! -e $CLUSTER_DIR ]] || fail "$CLUSTER_DIR left"
procs >/run/procs.after
new=$(comm -13 <(sort /run/procs.before) <(sort /run/procs.after))
[[ -z $new ]] || fail "processes left: $(for p in $new; do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null; echo; done)"
cluster_down # again: nothing to do
ok "cluster_down in $ms ms: no link, namespace, mount or process left"
ok "200-cluster-harness in $(ms_since "$t_start") ms"
