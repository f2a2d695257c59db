# Shared helpers for end-to-end tests. Each test runs inside tests/sandbox,
# so the "host" here is a throwaway namespace; every address used below lives
# in namespaces the test makes.
set -euo pipefail

: "${WEFT:?WEFT must point at the weft binary}"
: "${WEFT_STATE_DIR:?run inside tests/sandbox}"

weft() { "$WEFT" "$@"; }

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
ok() { echo "ok: $*"; }

# expect_error [--rc N] PATTERN CMD...: CMD must exit non-zero (with --rc,
# exactly N: docs/USAGE.md's exit codes) with exactly one line on stderr,
# "weft: error: ...", matching PATTERN (grep -E).
expect_error() {
  local want_rc=""
  if [[ $1 == --rc ]]; then
    want_rc=$2
    shift 2
  fi
  local pattern=$1
  shift
  local err rc=0
  err=$("$@" 2>&1 >/dev/null) || rc=$?
  [[ $rc -ne 0 ]] || fail "expected failure: $*"
  [[ -z $want_rc || $rc -eq $want_rc ]] || fail "'$*' exited $rc, want $want_rc ($err)"
  [[ $(printf '%s\n' "$err" | wc -l) -eq 1 ]] || fail "expected one error line from '$*', got: $err"
  [[ $err == "weft: error: "* ]] || fail "error line not prefixed 'weft: error:': $err"
  printf '%s\n' "$err" | grep -Eq -- "$pattern" || fail "error '$err' does not match /$pattern/"
  ok "refused ($rc): $* -> ${err#weft: error: }"
}

# snapshot: the kernel's and the store's word on everything weft may change.
snapshot() {
  ip -j link show | jq -S 'map(del(.operstate, .linkmode, .group, .qdisc, .txqlen))'
  ip -j addr show | jq -S 'map({ifname, addr_info: [.addr_info[] | {local, prefixlen}]})'
  ip -j route show
  ip -6 -j route show
  nft -j list ruleset
  ls -1 "$WEFT_NETNS_DIR"
  if [[ -f $WEFT_STATE_DIR/weft.db ]]; then sqlite3 "$WEFT_STATE_DIR/weft.db" .dump; fi
}

# settle: waits (up to 5 s) until no veth tagged as a weft container's
# belongs to a container the store no longer has. `weft rm` leaves a
# container's veths to go with its namespace, which the kernel tears down
# in the background.
settle() {
  local tagged known
  for _ in $(seq 100); do
    tagged=$(ip -j link show type veth | jq -r '.[].ifalias // empty' |
      sed -n 's/^weft container \([^ ]*\) network .*/\1/p' | sort -u)
    [[ -z $tagged ]] && return 0
    known=$("$WEFT" ps --json 2>/dev/null | jq -r '.[].name' | sort -u)
    [[ -z $(comm -23 <(echo "$tagged") <(echo "$known")) ]] && return 0
    sleep 0.05
  done
}

# snapshot_sans_ids: the same picture without what the kernel or SQLite
# choose anew when an object is re-created (ifindex, MAC, link-local address,
# nft handles, rowids, the host end of a veth, named anew for each attach)
# and in a stable order: equal means the same state. Settles first.
snapshot_sans_ids() {
  settle
  ip -j link show | jq -c 'map(del(.operstate, .linkmode, .group, .qdisc, .txqlen, .ifindex, .link_index, .link_netnsid, .address) | .flags -= ["NO-CARRIER", "LOWER_UP"]) | sort_by(.ifname) | .[]' | sed -E 's/veth[0-9a-f]{8}/veth*/g' | sort
  ip -j addr show | jq -c 'map({ifname, addr_info: [.addr_info[] | select(.local | startswith("fe80:") | not) | {local, prefixlen}]}) | sort_by(.ifname) | .[]' | sed -E 's/veth[0-9a-f]{8}/veth*/g' | sort
  ip -j route show | jq -cS 'map(del(.flags)) | sort_by([.dst, .dev]) | .[]' | sed -E 's/veth[0-9a-f]{8}/veth*/g' | sort
  ip -6 -j route show | jq -cS 'map(del(.flags)) | sort_by([.dst, .dev]) | .[]' | sed -E 's/veth[0-9a-f]{8}/veth*/g' | sort
  nft -j list ruleset | jq -cS 'walk(if type == "object" then del(.handle) | (if .elem then .elem |= sort_by(tostring) else . end) else . end) | .nftables[]' | sort
  ls -1 "$WEFT_NETNS_DIR"
  if [[ -f $WEFT_STATE_DIR/weft.db ]]; then sqlite3 "$WEFT_STATE_DIR/weft.db" .dump | sed -E "s/,[0-9]{10}(,[01])?(,[01],'[^']*')?\)/,TIME\1\2)/" | sed -E 's/veth[0-9a-f]{8}/veth*/g' | grep -v host_identity | sort; fi
}

# make_outside: an "outside world" namespace behind the host's uplink.
# Host uplink0 198.51.100.1/24 <-> outside eth0 198.51.100.2/24 (and
# 2001:db8:100::1/64 <-> ::2); the host's default routes go through it.
# The outside has no route back to any container subnet.
make_outside() {
  ip netns add outside
  ip link add uplink0 type veth peer name eth0 netns outside
  ip addr add 198.51.100.1/24 dev uplink0
  ip addr add 2001:db8:100::1/64 dev uplink0 nodad
  ip link set uplink0 up
  ip -n outside link set lo up
  ip -n outside addr add 198.51.100.2/24 dev eth0
  ip -n outside addr add 2001:db8:100::2/64 dev eth0 nodad
  ip -n outside link set eth0 up
  ip route add default via 198.51.100.2
  ip -6 route add default via 2001:db8:100::2
}

# serve_peer NS ADDR PORT: a TCP server in NS that answers each connection
# with the address it saw the client come from. Background; dies with the
# sandbox.
# has GREP-ARGS...: like `grep -q`, but reads all of its input first. With
# pipefail, `producer | grep -q` fails when grep exits at the first match and
# the producer, still writing, dies of SIGPIPE.
has() {
  local input
  input=$(cat)
  grep -q "$@" <<<"$input"
}

# foreign_ruleset: every table, chain and rule that is not weft's (its table
# and its "weft opening: " rules in others' chains), without what the kernel
# renumbers or counts, sorted: equal means nobody else's rule or policy changed.
foreign_ruleset() {
  nft -j list ruleset | jq -cS 'walk(if type == "object" then del(.handle) | del(.counter) else . end)
    | .nftables[] | select(.metainfo == null) | select(to_entries[0].value | (.table // .name) != "weft")
    | select((.rule.comment // "") | startswith("weft opening: ") | not)' | sort
}
# weft_openings: how many of weft's accept rules are in other tables' chains.
weft_openings() { nft list ruleset 2>/dev/null | grep -c 'comment "weft opening: ' || true; }

serve_peer() {
  local ns=$1 addr=$2 port=$3 proto=TCP4-LISTEN
  [[ $addr == *:* ]] && proto=TCP6-LISTEN
  ip netns exec "$ns" socat "$proto:$port,bind=$addr,reuseaddr,fork" \
    SYSTEM:'head -c1 >/dev/null; echo $SOCAT_PEERADDR' &
  wait_port "$ns" "$port"
}

# serve_echo NS ADDR PORT: a TCP echo server in NS.
serve_echo() {
  local ns=$1 addr=$2 port=$3 proto=TCP4-LISTEN
  [[ $addr == *:* ]] && proto=TCP6-LISTEN
  ip netns exec "$ns" socat "$proto:$port,bind=$addr,reuseaddr,fork" EXEC:cat &
  wait_port "$ns" "$port"
}

wait_port() {
  local ns=$1 port=$2
  for _ in $(seq 100); do
    ip netns exec "$ns" ss -Htln "sport = :$port" | has . && return 0
    sleep 0.05
  done
  fail "nothing listens on port $port in $ns"
}

# tcp_send NS ADDR PORT DATA: connects from NS, sends DATA, prints the reply.
# Fails (non-zero) on timeout or refusal.
tcp_send() {
  local ns=$1 addr=$2 port=$3 data=$4 target
  if [[ $addr == *:* ]]; then target="TCP6:[$addr]:$port"; else target="TCP4:$addr:$port"; fi
  printf '%s' "$data" | timeout 6 ip netns exec "$ns" socat -t3 -T3 - "$target,connect-timeout=2"
}

# ns_json NAME: `ip -j addr` of a namespace (the kernel's word).
container_ipv4() {
  ip -n "$1" -j -4 addr show dev "${2:-eth0}" | jq -r '.[0].addr_info[0].local'
}
container_ipv6() {
  ip -n "$1" -j -6 addr show dev "${2:-eth0}" scope global | jq -r '.[0].addr_info[0].local'
}

# canon ADDR: an address in canonical text form (socat prints v6 in full, in
# brackets; an IPv4-mapped address comes out as plain IPv4).
canon() {
  python3 -c 'import ipaddress, sys; a = ipaddress.ip_address(sys.argv[1].strip("[]")); print(getattr(a, "ipv4_mapped", None) or a)' "$1"
}

# need CMD-OR-PATH PACKAGE: is CMD installed (or PATH present)? If not: under
# CI=true with PACKAGE in scripts/install-deps that is a failure; otherwise a
# "skip:" line. (Needs WEFT_SRC.)
need() {
  if [[ $1 == /* ]]; then [[ -e $1 ]] && return 0; else command -v "$1" >/dev/null && return 0; fi
  if [[ ${CI:-} == true ]] && grep -Eq "(^|[[:space:]])$2([[:space:]]|$)" "$WEFT_SRC/scripts/install-deps"; then
    fail "$1 is not installed, but $2 is in scripts/install-deps (CI=true)"
  fi
  echo "skip: $1 not installed (Debian package $2; scripts/install-deps installs it)"
  return 1
}

# private_dir DIR (uses $T, the test's scratch dir on the sandbox's /run): DIR exists in this mount namespace without the machine's
# disk being written: if it is missing, its nearest existing parent gets an
# overlay whose upper layer is on the sandbox's tmpfs (mounts below that parent
# are carried over), and DIR is made in it.
private_dir() {
  local dir=$1 p=$1
  [[ -d $dir ]] && return 0
  while [[ ! -d $p ]]; do p=$(dirname "$p"); done
  local o n=0 sub
  o=${T:?private_dir needs T, the scratch dir of the test}/overlay$(tr / _ <<<"$p")
  mkdir -p "$o/up" "$o/work" "$o/keep"
  mapfile -t subs < <(findmnt -R -n -r -o TARGET "$p" | tail -n +2)
  for sub in "${subs[@]}"; do
    if [[ -d $sub ]]; then mkdir "$o/keep/$n"; else : >"$o/keep/$n"; fi
    mount -n --bind "$sub" "$o/keep/$n"
    n=$((n + 1))
  done
  mount -n -t overlay overlay -o "lowerdir=$p,upperdir=$o/up,workdir=$o/work" "$p"
  n=0
  for sub in "${subs[@]}"; do
    mount -n --bind "$o/keep/$n" "$sub"
    n=$((n + 1))
  done
  mkdir -p "$dir"
}

# containerd_config DIR: a containerd 1.6 config with its root, state and
# socket (DIR/containerd.sock) under DIR and only the plugins `ctr run --cni`
# needs (e2e 115, 228).
containerd_config() {
  cat <<EOF
version = 2
root = "$1/root"
state = "$1/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$1/containerd.sock"
EOF
}

# drop_cgroups NAME...: kills what still runs in the cgroups called NAME (in
# every hierarchy; runtimes put containers in the machine's, there being no
# private one) and removes them. For a test's EXIT trap; always returns 0.
drop_cgroups() {
  local name d pids
  for name in "$@"; do
    for d in /sys/fs/cgroup/*/"$name"; do
      [[ -d $d ]] || continue
      pids=$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | grep -vx 0 | sort -u || true)
      # shellcheck disable=SC2086 # one PID a word
      [[ -n $pids ]] && kill -9 $pids 2>/dev/null && sleep 0.3
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    done
  done
  return 0
}

# alive PID: the process exists and is not a zombie (one read of its stat, so
# a process that ends meanwhile reads as gone, not as an error).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $stat ]] && ! awk '{ exit !($3 == "Z") }' <<<"$stat"
}
