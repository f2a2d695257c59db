# Many hosts in one test (issues #13 and #14): a bash library, sourced by an
# e2e test that already runs inside tests/sandbox (the "outer sandbox").
#
# Each host is a sandbox of its own, like tests/sandbox: network, mount, PID
# and UTS namespaces, a private tmpfs over /run (its netns dir /run/netns, its
# state dir /run/weft, its weftd's sockets), an empty resolv.conf of its own,
# a fresh /sys for its network namespace, lo up, hostname = its name. Its init
# is a bash that only sleeps and reaps (daemons started in the host are
# re-parented to it). Hosts hang off an underlay bridge, ul0, in the outer
# sandbox through a veth, ul-NAME outside and eth0 inside:
#
#   outer sandbox   ul0   10.200.0.1/24      fd00:200::1/64   (the hosts' default gateway;
#                                                              the outer does not forward)
#   host hI         eth0  10.200.0.(10+I)    fd00:200::(10+I)    I = 1..89
#                   (MAC 02:00 and the IPv4 address in hex: 02:00:0a:c8:00:0b for h1)
#   etcd member eI  eth0  10.200.0.(100+I)   fd00:200::(100+I)   I = 1..99
#
# An etcd member is a node of the same kind running one etcd (Debian's 3.4,
# etcd's default timings: 100 ms heartbeat, 1 s election timeout, changed by
# CLUSTER_ETCD_HEARTBEAT_MS and CLUSTER_ETCD_ELECTION_MS), data dir
# /run/etcd on the member's tmpfs, clients on :2379 (its addresses and
# 127.0.0.1), peers on :2380. Every address lives in namespaces the test made,
# and the outer sandbox is a network namespace of its own, so two tests using
# this at once never meet. The outer's $CLUSTER_DIR/shared is every node's
# /run/shared (the one place nodes share: scripts, results).
#
# API (see docs/ARCHITECTURE.md, "Tests"):
#   cluster_up --hosts N [--etcd M] [--ipv6]
#       sets CLUSTER_HOSTS=(h1..hN), CLUSTER_MEMBERS=(e1..eM),
#       CLUSTER_ADDR[node], CLUSTER_ADDR6[node] (with --ipv6), CLUSTER_PID[node]
#       (the node's init, as the outer sandbox sees it), CLUSTER_GW/CLUSTER_GW6
#       (the outer's address on ul0), CLUSTER_ETCD="etcd://A:2379,B:2379,...",
#       CLUSTER_ETCD_ENDPOINTS="http://A:2379,..." (for etcdctl), with --ipv6
#       CLUSTER_ETCD6="etcd://[A6]:2379,..." too, CLUSTER_DIR
#       (the outer's scratch dir: NODE.log is a node's init, eI.etcd.log its
#       etcd). Waits until every member answers `etcdctl endpoint health`.
#       Registers cluster_down as the EXIT trap (a test with its own EXIT trap
#       calls cluster_down from it).
#   on NODE CMD...       CMD inside NODE (net, mount, pid, uts namespaces),
#                        with WEFT_NETNS_DIR=/run/netns WEFT_STATE_DIR=/run/weft
#                        WEFT_NODE=NODE WEFT_SANDBOX=1; `weft` and `weftd` as
#                        CMD mean $WEFT and the weftd next to it. Output and
#                        exit code pass through. The working directory is
#                        kept unless it is under /run (then /).
#   on_bg NODE CMD...    the same in the background; CLUSTER_BG_PID is CMD's
#                        PID (outer view). Killed by host_kill/cluster_down.
#   ectl ARGS...         etcdctl from the outer sandbox against all members
#                        (2 s dial, 5 s command timeouts; later flags win).
#   host_pids NODE       PIDs (outer view) of every process in NODE's PID
#                        namespace, one a line.
#   host_kill NODE       kill -9 NODE's init: everything in it dies, its
#                        namespaces (and those made inside it) go; returns
#                        once its processes and its underlay port are gone.
#   host_start NODE      NODE again after host_kill, as after a reboot:
#                        same name, addresses and MAC, empty /run. A member
#                        comes back with an empty data dir: removed from the
#                        cluster and added again as a new member.
#   etcd_stop MEMBER     kill -9 MEMBER's etcd (its data dir stays).
#   etcd_start [--no-wait] MEMBER
#                        etcd again on its data dir; waits until it is healthy
#                        (which needs a quorum) unless --no-wait.
#   underlay_cut NODE / underlay_restore NODE
#                        NODE's underlay port down / up (eth0 loses carrier).
#   cluster_down         kills everything, waits for it to be gone, removes
#                        ul0, and fails if anything is left: a process in a
#                        node's namespaces, a link, or a change to the outer's
#                        links, netns dir or mounts since cluster_up.

: "${WEFT:?WEFT must point at the weft binary}"

CLUSTER_SUBNET_PREFIX=10.200.0
CLUSTER_SUBNET6_PREFIX=fd00:200:
CLUSTER_GW=$CLUSTER_SUBNET_PREFIX.1
CLUSTER_GW6=${CLUSTER_SUBNET6_PREFIX}:1
CLUSTER_DIR=/run/cluster
CLUSTER_HOSTS=()
CLUSTER_MEMBERS=()
CLUSTER_ETCD=""
CLUSTER_ETCD_ENDPOINTS=""
CLUSTER_IPV6=0
CLUSTER_BG_PID=""
CLUSTER_ETCD6=""
declare -gA CLUSTER_ADDR=() CLUSTER_ADDR6=() CLUSTER_PID=()
# Private: a node's unshare process (the init's parent, outside its PID
# namespace but inside its net and mount ones), its namespaces' inodes (all
# ever made, killed or not), the background nsenter processes, a member's etcd
# (CMD's PID and its nsenter's), and the outer's picture at cluster_up.
declare -gA _CLUSTER_UNSHARE=() _CLUSTER_ETCD_PID=() _CLUSTER_ETCD_NSENTER=()
_CLUSTER_NS_INODES=()
_CLUSTER_BG=()
_CLUSTER_UP=0
_CLUSTER_BEFORE=""

# The init of a node, run by unshare as PID 1 of its namespaces: $1 its name,
# $2 the outer's dir shared with all nodes (bind-mounted at /run/shared), $3
# where /etc/resolv.conf leads. Few processes: on a loaded machine each costs.
IFS= read -r -d '' _CLUSTER_INIT <<'EOF' || true
# weft cluster node init (tests/cluster.sh)
set -euo pipefail
name=$1 resolv=$3
echo "$name" >/proc/sys/kernel/hostname
# The outer sandbox's mounts under /run (its netns dir's bind mounts) are not
# this host's: detached here, deepest first (private propagation: the outer
# keeps its own), so the host pins none of the outer's namespaces. /run
# itself stays, under the host's tmpfs: the shared dir is bound from it.
subs=() cgroup=0
while read -r _ _ _ _ mp _; do
  [[ $mp == /run/* ]] && subs=("$mp" "${subs[@]}")
  [[ $mp == /sys/fs/cgroup ]] && cgroup=1
done </proc/self/mountinfo
for m in "${subs[@]}"; do umount -l "$m" 2>/dev/null || true; done
exec 3<"$2"
mount -n -t tmpfs -o mode=0755 "weft-$name" /run
mkdir -p /run/netns /run/weft /run/shared /run/.cgroup
mount -n --bind /proc/self/fd/3 /run/shared
exec 3<&-
# An empty resolv.conf of its own, as tests/sandbox gives the outer.
if [[ $resolv == /run/* ]]; then
  mkdir -p "${resolv%/*}"
  : >"$resolv"
else
  : >/run/resolv.conf
  mount -n --bind /run/resolv.conf "$resolv"
fi
# A sysfs of this network namespace (as `ip netns exec` mounts), keeping the
# cgroup hierarchy.
[[ $cgroup == 0 ]] || mount -n --rbind /sys/fs/cgroup /run/.cgroup
umount -l /sys
mount -n -t sysfs "sysfs-$name" /sys
[[ $cgroup == 0 ]] || mount -n --move /run/.cgroup /sys/fs/cgroup
rmdir /run/.cgroup
ip link set lo up
# When a node dies with TCP connections open, each socket that still has to
# send its FIN lingers as an orphan, holding this network namespace (and its
# underlay port) until it gives up; its peer may be dying too. Orphans give
# up after one retry and FIN_WAIT2 after a second here, so a node's namespace
# goes promptly with it (cluster_down and host_kill wait for that).
echo 1 >/proc/sys/net/ipv4/tcp_orphan_retries
echo 1 >/proc/sys/net/ipv4/tcp_fin_timeout
echo ready
# PID 1: sleeps, and reaps what is re-parented to it (bash reaps any child).
while :; do
  sleep 3600 &
  wait || true
done
EOF

# _cluster_child PID: sets _CLUSTER_CHILD to the first child of PID (waits
# for it to appear, up to 5 s; empty if PID ends first). No subshell: each
# process costs on a loaded machine.
_cluster_child() {
  local p=$1 kids end=$((SECONDS + 5))
  _CLUSTER_CHILD=""
  while ((SECONDS <= end)); do
    kids=()
    # (The list ends without a newline: read returns 1 with the words read.)
    { read -ra kids <"/proc/$p/task/$p/children" || [[ -e /proc/$p ]]; } 2>/dev/null || return 0
    if [[ ${#kids[@]} -gt 0 ]]; then
      _CLUSTER_CHILD=${kids[0]}
      return 0
    fi
    sleep 0.01
  done
}

# _cluster_gone PID: PID has ended (or is a zombie).
_cluster_gone() {
  local stat
  # (Not $(<FILE): bash 5.2 under set -e exits when FILE is missing, || or not.)
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
  stat=${stat##*) }
  [[ ${stat:0:1} == Z ]]
}

# _cluster_wait_gone TIMEOUT_S PID...: waits until every PID has ended
# (reaping our own children); 1 if one is still there after TIMEOUT_S.
_cluster_wait_gone() {
  local end=$((SECONDS + $1)) p
  shift
  for p in "$@"; do
    [[ -n $p ]] || continue
    while ((SECONDS <= end)); do
      _cluster_gone "$p" && break
      sleep 0.02
    done
    _cluster_gone "$p" || return 1
    # `wait` reaps a child of this shell; for any other process it returns at once.
    wait "$p" 2>/dev/null || true
  done
}

# _cluster_nodes_up NAME...: the nodes, started side by side: each one's
# init, then all underlay ports in one batch, then each one's addresses.
_cluster_nodes_up() {
  local name i line ready up n base addr addr6 a b c d end=$((SECONDS + 30))
  local pending=("$@") waiting batch=() configs=()
  for name in "$@"; do
    : >"$CLUSTER_DIR/$name.log"
    unshare --net --mount --pid --uts --fork --mount-proc --propagation private \
      -- bash "$CLUSTER_DIR/node-init" "$name" "$CLUSTER_DIR/shared" "$_CLUSTER_RESOLV" >>"$CLUSTER_DIR/$name.log" 2>&1 &
    _CLUSTER_UNSHARE[$name]=$!
    # Not a job of this shell (whose "Killed" notices would be noise); bash
    # still reaps it.
    disown
  done
  while ((${#pending[@]} > 0 && SECONDS <= end)); do
    waiting=()
    for name in "${pending[@]}"; do
      ready=0
      while read -r line; do [[ $line == ready ]] && ready=1; done <"$CLUSTER_DIR/$name.log"
      if [[ $ready == 0 ]]; then
        if _cluster_gone "${_CLUSTER_UNSHARE[$name]}"; then
          echo "cluster: node $name did not start:" >&2
          cat "$CLUSTER_DIR/$name.log" >&2
          return 1
        fi
        waiting+=("$name")
      fi
    done
    pending=("${waiting[@]}")
    [[ ${#pending[@]} -eq 0 ]] || sleep 0.01
  done
  [[ ${#pending[@]} -eq 0 ]] || {
    echo "cluster: nodes ${pending[*]} not ready after 30 s" >&2
    return 1
  }
  for name in "$@"; do
    up=${_CLUSTER_UNSHARE[$name]}
    _cluster_child "$up"
    [[ -n $_CLUSTER_CHILD ]] || {
      echo "cluster: node $name has no init" >&2
      return 1
    }
    CLUSTER_PID[$name]=$_CLUSTER_CHILD
    n=${name:1} base=10
    [[ $name == e* ]] && base=100
    addr=$CLUSTER_SUBNET_PREFIX.$((base + n))
    CLUSTER_ADDR[$name]=$addr
    [[ $CLUSTER_IPV6 == 0 ]] || CLUSTER_ADDR6[$name]=$CLUSTER_SUBNET6_PREFIX:$((base + n))
    # A fixed MAC (02:00 and the IPv4 address), as a machine keeps its own
    # across reboots: the others' neighbour entries stay right after host_start.
    IFS=. read -r a b c d <<<"$addr"
    printf -v line 'link add ul-%s master ul0 up type veth peer name eth0 address 02:00:%02x:%02x:%02x:%02x netns %s' \
      "$name" "$a" "$b" "$c" "$d" "$_CLUSTER_CHILD"
    batch+=("$line")
  done
  mapfile -t -O "${#_CLUSTER_NS_INODES[@]}" _CLUSTER_NS_INODES < <(
    for name in "$@"; do stat -L -c %i /proc/"${CLUSTER_PID[$name]}"/ns/{pid,net,mnt,uts}; done
  )
  printf '%s\n' "${batch[@]}" | ip -b - || return 1
  for name in "$@"; do
    addr=${CLUSTER_ADDR[$name]} addr6=${CLUSTER_ADDR6[$name]:-}
    {
      echo "addr add $addr/24 dev eth0"
      echo "link set eth0 up"
      echo "route add default via $CLUSTER_GW"
      if [[ -n $addr6 ]]; then
        echo "addr add $addr6/64 dev eth0 nodad"
        echo "route add ::/0 via $CLUSTER_GW6"
      fi
    } | nsenter -t "${CLUSTER_PID[$name]}" --net ip -b - &
    configs+=($!)
  done
  for i in "${configs[@]}"; do wait "$i" || return 1; done
}

# _cluster_outer_picture: what cluster_up must leave as it found it.
_cluster_outer_picture() {
  echo "links:"
  ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort
  echo "netns:"
  ls -1 /run/netns 2>/dev/null || true
  echo "mounts:"
  awk '{print $5, $9, $4}' /proc/self/mountinfo | sort
  echo "routes:"
  ip route show
  ip -6 route show | grep -v '^fe80::/64\|^multicast' || true
}

cluster_up() {
  local hosts=0 members=0 i
  CLUSTER_IPV6=0
  while [[ $# -gt 0 ]]; do
    case $1 in
      --hosts) hosts=$2; shift 2 ;;
      --etcd) members=$2; shift 2 ;;
      --ipv6) CLUSTER_IPV6=1; shift ;;
      *) echo "cluster_up: unknown argument $1" >&2; return 2 ;;
    esac
  done
  [[ $_CLUSTER_UP == 0 ]] || { echo "cluster_up: a cluster is up already" >&2; return 1; }
  [[ $hosts -ge 1 && $hosts -le 89 && $members -ge 0 && $members -le 99 ]] ||
    { echo "cluster_up: --hosts 1..89, --etcd 0..99" >&2; return 2; }
  [[ ${WEFT_IN_SANDBOX:-} == *-inner ]] ||
    { echo "cluster_up: run inside tests/sandbox (the machine's network is not ours)" >&2; return 1; }
  _CLUSTER_BEFORE=$(_cluster_outer_picture)
  _CLUSTER_UP=1
  trap '_cluster_exit' EXIT
  mkdir -p "$CLUSTER_DIR/shared"
  printf '%s' "$_CLUSTER_INIT" >"$CLUSTER_DIR/node-init"
  _CLUSTER_RESOLV=$(readlink -m /etc/resolv.conf)
  ip link add ul0 type bridge mcast_snooping 0
  ip addr add "$CLUSTER_GW/24" dev ul0
  [[ $CLUSTER_IPV6 == 1 ]] && ip -6 addr add "$CLUSTER_GW6/64" dev ul0 nodad
  ip link set ul0 up

  CLUSTER_HOSTS=()
  CLUSTER_MEMBERS=()
  for ((i = 1; i <= hosts; i++)); do CLUSTER_HOSTS+=("h$i"); done
  for ((i = 1; i <= members; i++)); do CLUSTER_MEMBERS+=("e$i"); done
  local n
  _cluster_nodes_up "${CLUSTER_HOSTS[@]}" "${CLUSTER_MEMBERS[@]}" || return 1

  CLUSTER_ETCD=""
  CLUSTER_ETCD6=""
  CLUSTER_ETCD_ENDPOINTS=""
  [[ $members -ge 1 ]] || return 0
  local peers=() eps=() eps6=()
  for n in "${CLUSTER_MEMBERS[@]}"; do
    peers+=("$n=http://${CLUSTER_ADDR[$n]}:2380")
    eps+=("${CLUSTER_ADDR[$n]}:2379")
    eps6+=("[${CLUSTER_ADDR6[$n]:-}]:2379")
  done
  _CLUSTER_PEERS=$(
    IFS=,
    echo "${peers[*]}"
  )
  CLUSTER_ETCD=etcd://$(
    IFS=,
    echo "${eps[*]}"
  )
  if [[ $CLUSTER_IPV6 == 1 ]]; then
    # shellcheck disable=SC2034 # for the tests
    CLUSTER_ETCD6=etcd://$(
      IFS=,
      echo "${eps6[*]}"
    )
  fi
  CLUSTER_ETCD_ENDPOINTS=${CLUSTER_ETCD#etcd://}
  CLUSTER_ETCD_ENDPOINTS=http://${CLUSTER_ETCD_ENDPOINTS//,/,http://}
  for n in "${CLUSTER_MEMBERS[@]}"; do _cluster_etcd_run "$n"; done
  _cluster_etcd_healthy 60 "$CLUSTER_ETCD_ENDPOINTS" "${CLUSTER_MEMBERS[@]}"
}

# Timings: etcd's defaults (100 ms heartbeat, 1 s election timeout) hold on a
# loaded machine; CLUSTER_ETCD_HEARTBEAT_MS / CLUSTER_ETCD_ELECTION_MS change them.
# _cluster_etcd_run MEMBER [new|existing]
_cluster_etcd_run() {
  local n=$1 a=${CLUSTER_ADDR[$1]} state=${2:-new} listen
  listen=http://$a:2379,http://127.0.0.1:2379
  [[ -n ${CLUSTER_ADDR6[$n]:-} ]] && listen+=",http://[${CLUSTER_ADDR6[$n]}]:2379"
  on_bg "$n" etcd --name "$n" --data-dir /run/etcd \
    --listen-client-urls "$listen" --advertise-client-urls "http://$a:2379" \
    --listen-peer-urls "http://$a:2380" --initial-advertise-peer-urls "http://$a:2380" \
    --initial-cluster "$_CLUSTER_PEERS" --initial-cluster-token weft-test --initial-cluster-state "$state" \
    --heartbeat-interval "${CLUSTER_ETCD_HEARTBEAT_MS:-100}" --election-timeout "${CLUSTER_ETCD_ELECTION_MS:-1000}" \
    --logger zap >>"$CLUSTER_DIR/$n.etcd.log" 2>&1
  _CLUSTER_ETCD_PID[$n]=$CLUSTER_BG_PID
  _CLUSTER_ETCD_NSENTER[$n]=${_CLUSTER_BG[-1]}
}

# _cluster_etcd_healthy TIMEOUT_S ENDPOINTS MEMBER...: polls `endpoint
# health` until it holds, a member's etcd has died, or TIMEOUT_S.
_cluster_etcd_healthy() {
  local end=$((SECONDS + $1)) endpoints=$2 m
  shift 2
  while ((SECONDS < end)); do
    etcdctl --endpoints="$endpoints" --dial-timeout=1s --command-timeout=2s endpoint health >/dev/null 2>&1 && return 0
    for m in "$@"; do
      if _cluster_gone "${_CLUSTER_ETCD_PID[$m]:-0}"; then
        echo "cluster: etcd on $m died; $CLUSTER_DIR/$m.etcd.log ends:" >&2
        tail -3 "$CLUSTER_DIR/$m.etcd.log" >&2
        return 1
      fi
    done
    sleep 0.1
  done
  echo "cluster: etcd at $endpoints not healthy after $1 s" >&2
  return 1
}

ectl() { etcdctl --endpoints="$CLUSTER_ETCD_ENDPOINTS" --dial-timeout=2s --command-timeout=5s "$@"; }

_cluster_live() {
  [[ -n ${CLUSTER_PID[$1]:-} ]] || {
    echo "cluster: no live node \"$1\"" >&2
    return 125
  }
}

# _cluster_on_cmd NODE CMD...: sets _CLUSTER_CMD, the command line `on` runs.
_cluster_on_cmd() {
  local node=$1 wd=$PWD
  shift
  case $1 in
    weft) set -- "$WEFT" "${@:2}" ;;
    weftd) set -- "${WEFTD:-${WEFT%/*}/weftd}" "${@:2}" ;;
  esac
  [[ $wd == /run || $wd == /run/* ]] && wd=/
  _CLUSTER_CMD=(nsenter -t "${CLUSTER_PID[$node]}" --net --mount --pid --uts --
    env -C "$wd" WEFT_NETNS_DIR=/run/netns WEFT_STATE_DIR=/run/weft WEFT_NODE="$node" WEFT_SANDBOX=1 "$@")
}

on() {
  _cluster_live "$1" || return
  _cluster_on_cmd "$@"
  "${_CLUSTER_CMD[@]}"
}

on_bg() {
  _cluster_live "$1" || return
  _cluster_on_cmd "$@"
  "${_CLUSTER_CMD[@]}" &
  local ns=$!
  disown
  _CLUSTER_BG+=("$ns")
  _cluster_child "$ns"
  CLUSTER_BG_PID=$_CLUSTER_CHILD
}

# host_pids NODE: every process in NODE's PID namespace (outer view).
host_pids() {
  _cluster_live "$1" || return
  local ino f i
  ino=$(stat -L -c %i "/proc/${CLUSTER_PID[$1]}/ns/pid") || return 0
  stat -L -c '%n %i' /proc/[0-9]*/ns/pid 2>/dev/null | while read -r f i; do
    if [[ $i == "$ino" ]]; then
      f=${f#/proc/}
      echo "${f%%/*}"
    fi
  done || true
}

# _cluster_procs: every process (outer view) in any namespace a node ever had
# (its nsenter and unshare processes included: they sit in its net and mount
# namespaces), as "PID COMM".
_cluster_procs() {
  [[ ${#_CLUSTER_NS_INODES[@]} -gt 0 ]] || return 0
  local pat p comm
  pat=$(printf '%s|' "${_CLUSTER_NS_INODES[@]}")
  { stat -L -c '%n %i' /proc/[0-9]*/ns/{pid,net,mnt,uts} 2>/dev/null || true; } |
    awk -v pat="^(${pat%|})\$" '$2 ~ pat { split($1, p, "/"); print p[3] }' | sort -un |
    while read -r p; do
      comm='?'
      { read -r comm <"/proc/$p/comm"; } 2>/dev/null || true
      echo "$p $comm"
    done
}

host_kill() {
  _cluster_live "$1" || return
  local n=$1 init=${CLUSTER_PID[$1]} up=${_CLUSTER_UNSHARE[$1]} end
  kill -9 "$init" 2>/dev/null || true
  unset "CLUSTER_PID[$n]"
  _cluster_wait_gone 30 "$init" "$up" || {
    echo "host_kill: $n's init $init or unshare $up still there after 30 s" >&2
    return 1
  }
  if [[ -n ${_CLUSTER_ETCD_NSENTER[$n]:-} ]]; then
    _cluster_wait_gone 30 "${_CLUSTER_ETCD_NSENTER[$n]}" || true
    unset "_CLUSTER_ETCD_PID[$n]" "_CLUSTER_ETCD_NSENTER[$n]"
  fi
  # Its network namespace is gone when the kernel has deleted its eth0, and
  # so the peer outside (namespaces are cleaned up asynchronously).
  end=$((SECONDS + 30))
  while ((SECONDS <= end)); do
    ip link show "ul-$n" >/dev/null 2>&1 || return 0
    sleep 0.02
  done
  echo "host_kill: ul-$n still there 30 s after $n died (its network namespace is held)" >&2
  return 1
}

host_start() {
  local n=$1
  [[ $_CLUSTER_UP == 1 && -z ${CLUSTER_PID[$n]:-} ]] || {
    echo "host_start: \"$n\" is running or not part of the cluster" >&2
    return 1
  }
  _cluster_nodes_up "$n" || return 1
  if [[ $n == e* && -n $CLUSTER_ETCD ]]; then
    # Its data dir went with it: the cluster forgets the old member and takes
    # it back as a new one (which needs a quorum of the others).
    # etcd refuses a membership change ("unhealthy cluster") until the
    # others have been connected for 5 s: retried for up to 20 s.
    local id out end=$((SECONDS + 20))
    id=$(ectl member list | awk -F', ' -v n="$n" '$3 == n {print $1}')
    until [[ -z $id ]] || out=$(ectl member remove "$id" 2>&1); do
      ((SECONDS < end)) || { echo "host_start: etcd member remove $n: $out" >&2; return 1; }
      sleep 0.5
    done
    until out=$(ectl member add "$n" --peer-urls="http://${CLUSTER_ADDR[$n]}:2380" 2>&1); do
      ((SECONDS < end)) || { echo "host_start: etcd member add $n: $out" >&2; return 1; }
      sleep 0.5
    done
    _cluster_etcd_run "$n" existing
    _cluster_etcd_healthy 30 "http://${CLUSTER_ADDR[$n]}:2379" "$n"
  fi
}

etcd_stop() {
  local n=$1 p=${_CLUSTER_ETCD_PID[$1]:-}
  [[ -n $p ]] || {
    echo "etcd_stop: no etcd running on \"$n\"" >&2
    return 1
  }
  kill -9 "$p" 2>/dev/null || true
  _cluster_wait_gone 30 "$p" "${_CLUSTER_ETCD_NSENTER[$n]}" || {
    echo "etcd_stop: etcd $p on $n survived kill -9 for 30 s" >&2
    return 1
  }
  unset "_CLUSTER_ETCD_PID[$n]" "_CLUSTER_ETCD_NSENTER[$n]"
}

etcd_start() {
  local wait=1
  if [[ $1 == --no-wait ]]; then
    wait=0
    shift
  fi
  local n=$1
  _cluster_live "$n" || return
  [[ -z ${_CLUSTER_ETCD_PID[$n]:-} ]] || {
    echo "etcd_start: etcd runs on \"$n\" already" >&2
    return 1
  }
  _cluster_etcd_run "$n"
  [[ $wait == 0 ]] || _cluster_etcd_healthy 30 "http://${CLUSTER_ADDR[$n]}:2379" "$n"
}

underlay_cut() { ip link set "ul-$1" down; }
underlay_restore() { ip link set "ul-$1" up; }

_cluster_exit() { cluster_down || exit 1; }

cluster_down() {
  [[ $_CLUSTER_UP == 1 ]] || return 0
  _CLUSTER_UP=0
  local n p kids inits=() ups=() problems="" left end
  # The inits first: their PID namespaces' every process dies with them. (A
  # node that never got ready has its init found through its unshare.)
  for n in "${!_CLUSTER_UNSHARE[@]}"; do
    p=${_CLUSTER_UNSHARE[$n]}
    ups+=("$p")
    if [[ -n ${CLUSTER_PID[$n]:-} ]]; then
      inits+=("${CLUSTER_PID[$n]}")
    else
      read -ra kids 2>/dev/null <"/proc/$p/task/$p/children" || true
      inits+=("${kids[@]}")
    fi
  done
  [[ ${#inits[@]} -eq 0 ]] || kill -9 "${inits[@]}" 2>/dev/null || true
  _cluster_wait_gone 30 "${inits[@]}" "${ups[@]}" "${_CLUSTER_BG[@]}" ||
    problems+="processes still there after 30 s"$'\n'
  CLUSTER_PID=()
  _CLUSTER_UNSHARE=()
  _CLUSTER_ETCD_PID=()
  _CLUSTER_ETCD_NSENTER=()
  _CLUSTER_BG=()
  # Anything still in a node's namespaces (say, a process the test started
  # with nsenter --net from outside) is a leak: reported, then killed.
  left=$(_cluster_procs)
  if [[ -n $left ]]; then
    problems+="processes in the nodes' namespaces:"$'\n'"$left"$'\n'
    # shellcheck disable=SC2046 # one PID a word
    kill -9 $(awk '{print $1}' <<<"$left") 2>/dev/null || true
  fi
  # A node's network namespace is gone when its eth0, and so ul-NODE, is.
  end=$((SECONDS + 30))
  while left=$(ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | grep '^ul-') && ((SECONDS <= end)); do
    sleep 0.02
  done
  if [[ -n $left ]]; then
    problems+="underlay ports of namespaces still held: "$left$'\n'
    for p in $left; do ip link del "$p" 2>/dev/null || true; done
  fi
  ip link del ul0 2>/dev/null || true
  rm -rf "$CLUSTER_DIR"
  local after
  after=$(_cluster_outer_picture)
  [[ $after == "$_CLUSTER_BEFORE" ]] ||
    problems+="the outer sandbox differs from before cluster_up:"$'\n'$(diff <(echo "$_CLUSTER_BEFORE") <(echo "$after"))$'\n'
  _CLUSTER_NS_INODES=()
  if [[ -n $problems ]]; then
    echo "cluster_down: left behind: $problems" >&2
    return 1
  fi
}
