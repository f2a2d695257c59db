# weft under real CNI clients from Debian 12: podman 4.3 (CNI backend) and
# containerd 1.6's `ctr run --cni`, each with its own private state under the
# sandbox's /run, and a busybox rootfs (no images, no registry).
#
# podman: two containers on a weft network ping each other and resolve each
# other's --network-alias through weftd (podman passes aliases); `-p` publishes
# a port the outside reaches; `podman rm -f` leaves no veth, lease, port rule,
# libcni cache entry or DNS name behind.
# ctr: two containers reach each other; a foreground `ctr run --rm --cni` is
# cleaned by ctr's own DEL; detached ones (ctr never sends DEL for them) are
# cleaned by `weft gc` once their namespace is gone, or by a CNI GC (what
# libcni >= 1.2 sends; ctr 1.6 has none).
#
# The clients' fixed host paths are covered inside the sandbox's private mount
# namespace only: /etc/cni/net.d, /opt/cni/bin and /usr/lib/cni by bind mounts,
# /var/lib (libcni's cache /var/lib/cni) and /opt by overlays whose upper layer
# is on the sandbox's tmpfs. Nothing is written to the machine's disk.
source "$(dirname "$0")/lib.sh"
: "${WEFT_SRC:?WEFT_SRC must point at the weft source tree}"

T=/run/t115
mkdir -p "$T"

have_podman=0 have_ctr=0
if need busybox busybox-static; then
  need podman podman && have_podman=1
  need containerd containerd && need ctr containerd && have_ctr=1
fi
((have_podman || have_ctr)) || exit 0

make_outside
# runc puts containers in the machine's cgroup hierarchy (there is no private
# one): podman's under /weft115-podman (conmon's under /libpod_parent), ctr's
# namespace weft115 under /weft115. Removed when empty, as the test ends.
drop_115_cgroups() { drop_cgroups weft115 weft115-podman libpod_parent; }
trap drop_115_cgroups EXIT
db() { sqlite3 "$WEFT_STATE_DIR/weft.db" "$@"; }
# http_get NS ADDR PORT: GET /index.html, prints the body (socat: Debian's
# static busybox wget segfaults when run on the host).
http_get() {
  printf 'GET /index.html HTTP/1.0\r\n\r\n' |
    timeout 6 ip netns exec "$1" socat -t3 -T3 - "TCP4:$2:$3,connect-timeout=2" | sed '1,/^\r\?$/d'
}
weft_veths() { ip -j link show type veth | jq -r '[.[].ifname | select(. != "uplink0")] | sort | join(" ")'; }


# --- a busybox rootfs (static, so nothing else is needed) --------------------
R=$T/rootfs
mkdir -p "$R"/{bin,etc,proc,sys,dev,tmp,run,root,www}
cp "$(command -v busybox)" "$R/bin/busybox"
for a in sh ip ping nslookup nc wget httpd cat sleep hostname echo mkdir ls; do ln -s busybox "$R/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
echo "hello from c1" >"$R/www/index.html"

# --- the plugin dir: weft (a symlink: weft finds weftd next to its real path)
# and the reference plugins, at /usr/lib/cni (podman) and /opt/cni/bin (ctr) --
mkdir -p "$T/cni-bin" "$T/cni-orig"
if [[ -d /usr/lib/cni ]]; then
  mount -n --bind /usr/lib/cni "$T/cni-orig"
  for p in "$T"/cni-orig/*; do ln -s "$p" "$T/cni-bin/"; done
fi
ln -sfn "$WEFT" "$T/cni-bin/weft"
private_dir /usr/lib/cni
mount -n --bind "$T/cni-bin" /usr/lib/cni
private_dir /opt/cni/bin
mount -n --bind "$T/cni-bin" /opt/cni/bin
private_dir /var/lib/cni # libcni's result cache, a fixed path
mount -n -t tmpfs weft-cni-cache /var/lib/cni
# podman's teardown often runs in `podman container cleanup`, which conmon
# starts with a reduced environment (PATH and little else): WEFT_STATE_DIR does
# not reach that weft, which then uses the default /var/lib/weft, finds nothing
# and "succeeds". The sandbox's state dir is made that default too.
private_dir /var/lib/weft
mount -n --bind "$WEFT_STATE_DIR" /var/lib/weft

# ============================== podman =======================================
if ((have_podman)); then
  P=$T/p
  mkdir -p "$P/net.d" "$P/tmp"
  cat >"$P/containers.conf" <<EOF
[network]
network_backend = "cni"
network_config_dir = "$P/net.d"
cni_plugin_dirs = ["$T/cni-bin"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
tmp_dir = "$P/tmp"
# crun 1.8 refuses this host's hybrid cgroup v1/v2 layout ("cgroups in hybrid
# mode not supported"); runc works.
runtime = "runc"
EOF
  cat >"$P/net.d/weftnet.conflist" <<'EOF'
{
  "cniVersion": "1.0.0",
  "name": "weftnet",
  "plugins": [
    {"type": "weft", "network": "weftnet", "subnet": "10.89.5.0/24",
     "capabilities": {"portMappings": true, "aliases": true, "ips": true, "mac": true}}
  ]
}
EOF
  export CONTAINERS_CONF=$P/containers.conf TMPDIR=$P/tmp
  podman() {
    command podman --root "$P/root" --runroot "$P/run" --storage-driver vfs --tmpdir "$P/tmp" \
      --network-backend cni --network-config-dir "$P/net.d" --cgroup-manager cgroupfs \
      --events-backend file "$@"
  }
  pexec() { podman exec "$@"; }

  [[ $(podman info --format '{{.Host.NetworkBackend}}') == cni ]] || fail "podman does not use the CNI backend"
  podman network ls --format '{{.Name}} {{.Driver}}' | has -x 'weftnet weft' ||
    fail "podman does not list weftnet (driver weft): $(podman network ls 2>&1)"
  ok "podman $(podman version --format '{{.Client.Version}}'): CNI backend, weftnet listed with driver weft"

  podman run -d --cgroup-parent /weft115-podman --name c1 --network weftnet --network-alias web1 -p 8080:80 --rootfs "$R" \
    /bin/httpd -f -p 80 -h /www >/dev/null || fail "podman run c1"
  podman run -d --cgroup-parent /weft115-podman --name c2 --network weftnet --network-alias web2 \
    --ip 10.89.5.50 --mac-address 02:89:05:00:00:50 --rootfs "$R" \
    /bin/sleep 600 >/dev/null || fail "podman run c2"
  id1=$(podman inspect -f '{{.Id}}' c1)
  id2=$(podman inspect -f '{{.Id}}' c2)
  ip1=$(podman inspect -f '{{.NetworkSettings.Networks.weftnet.IPAddress}}' c1)
  ip2=$(podman inspect -f '{{.NetworkSettings.Networks.weftnet.IPAddress}}' c2)
  # weft's word: one weft container per attachment, named cni-<id12>-eth0.
  for n in 1 2; do
    id=id$n ip=ip$n
    row=$(db "SELECT c.name || ' ' || e.ipv4 || ' ' || e.aliases FROM containers c JOIN endpoints e ON e.container = c.name WHERE c.cni_container_id = '${!id}'")
    [[ $row == "cni-${!id:0:12}-eth0 ${!ip} "* ]] || fail "weft's record of c$n ($row) does not match podman's (${!ip})"
    jq -e --arg a "web$n" --arg s "${!id:0:12}" 'index($a) != null and index($s) != null' <<<"${row##* }" >/dev/null ||
      fail "c$n's aliases in weft: ${row##* }"
  done
  weft ps | has "^cni-${id1:0:12}-eth0 *weftnet *eth0 *$ip1 .*8080->80/tcp" || fail "weft ps: $(weft ps)"
  [[ $(ip -n "$(basename "$(podman inspect -f '{{.NetworkSettings.SandboxKey}}' c1)")" -j -4 addr show eth0 | jq -r '.[0].addr_info[0].local') == "$ip1" ]] ||
    fail "c1's eth0 (kernel) does not have $ip1"
  [[ $ip2 == 10.89.5.50 ]] || fail "podman --ip 10.89.5.50 gave c2 $ip2"
  [[ $(ip -n "$(basename "$(podman inspect -f '{{.NetworkSettings.SandboxKey}}' c2)")" -j link show eth0 | jq -r '.[0].address') == 02:89:05:00:00:50 ]] ||
    fail "podman --mac-address not applied to c2's eth0"
  ok "podman c1 ($ip1, aliases web1 + short id) and c2 (--ip $ip2, --mac-address): weft records cni-<id12>-eth0 each, weft ps shows 8080->80/tcp"

  [[ $(pexec c2 cat /etc/resolv.conf | awk '/^nameserver/ {print $2; exit}') == 10.89.5.1 ]] ||
    fail "podman did not put weft's nameserver first: $(pexec c2 cat /etc/resolv.conf)"
  out=$(pexec c2 ping -c1 -W2 web1) || fail "c2 cannot ping web1: $out"
  grep -q "from $ip1: seq=0" <<<"$out" || fail "ping web1 from c2 did not reach $ip1: $out"
  out=$(pexec c1 ping -c1 -W2 web2.weftnet) || fail "c1 cannot ping web2.weftnet: $out"
  grep -q "from $ip2: seq=0" <<<"$out" || fail "ping web2.weftnet from c1 did not reach $ip2: $out"
  out=$(pexec c2 nslookup web1 10.89.5.1) || fail "nslookup web1 from c2: $out"
  grep -q "Address: $ip1\$" <<<"$out" || fail "nslookup web1 from c2: $out"
  out=$(pexec c1 nslookup "${id2:0:12}" 10.89.5.1) || fail "nslookup c2's short id from c1: $out"
  grep -q "Address: $ip2\$" <<<"$out" || fail "nslookup ${id2:0:12} from c1: $out"
  out=$(pexec c2 nslookup c1 10.89.5.1) || fail "nslookup c1 (podman --name) from c2: $out"
  grep -q "Address: $ip1\$" <<<"$out" || fail "nslookup c1 from c2: $out"
  ok "podman: c1 and c2 ping each other by alias (resolv.conf names weftd 10.89.5.1 first); nslookup of alias and short id through weftd"

  out=$(http_get outside 198.51.100.1 8080) ||
    fail "outside cannot fetch the published port 8080: $out"
  [[ $out == "hello from c1" ]] || fail "published port answered: $out"
  nft -j list ruleset | jq -e '[.. | numbers] | index(8080)' >/dev/null || fail "8080 is not in the firewall"
  ok "podman -p 8080:80: the outside fetches c1's httpd through 198.51.100.1:8080"

  veth1=$(db "SELECT e.host_ifname FROM containers c JOIN endpoints e ON e.container = c.name WHERE c.cni_container_id = '$id1'")
  ip link show "$veth1" >/dev/null 2>&1 || fail "c1's host veth $veth1 is missing"
  podman rm -f -t 0 c1 >/dev/null
  ! ip link show "$veth1" >/dev/null 2>&1 || fail "c1's host veth $veth1 survived podman rm -f"
  [[ -z $(db "SELECT name FROM containers WHERE cni_container_id = '$id1'") ]] || fail "c1 still recorded in weft"
  [[ -z $(db "SELECT ipv4 FROM endpoints WHERE ipv4 = '$ip1'") ]] || fail "c1's lease $ip1 is still held"
  [[ $(db "SELECT count(*) FROM ports") == 0 ]] || fail "ports left: $(db 'SELECT * FROM ports')"
  ! nft -j list ruleset | jq -e '[.. | numbers] | index(8080)' >/dev/null || fail "8080 still in the firewall"
  ! nft list ruleset | grep -F "$ip1" >/dev/null || fail "c1's address still in the firewall"
  [[ -z $(http_get outside 198.51.100.1 8080 2>/dev/null) ]] ||
    fail "8080 still answers after podman rm -f -t 0 c1"
  out=$(pexec c2 nslookup web1 10.89.5.1 2>&1) && fail "web1 still resolves after podman rm -f -t 0 c1: $out"
  grep -q "Address: $ip1" <<<"$out" && fail "web1 still resolves to $ip1: $out"
  out=$(pexec c2 nslookup "${id1:0:12}" 10.89.5.1 2>&1) && fail "c1's short id still resolves: $out"
  ! compgen -G "/var/lib/cni/results/*$id1*" >/dev/null || fail "libcni cache of c1 survived"
  ok "podman rm -f -t 0 c1: veth $veth1, lease $ip1, port 8080, its rules and DNS names (web1, short id) are gone; c2 still resolves names"

  podman rm -f -t 0 c2 >/dev/null
  [[ -z $(weft_veths) ]] || fail "veths left after podman rm -f -t 0 c2: $(weft_veths)"
  [[ $(db "SELECT count(*) FROM containers") == 0 && $(db "SELECT count(*) FROM endpoints") == 0 ]] ||
    fail "weft still records: $(db 'SELECT * FROM endpoints')"
  ! nft list ruleset | grep -F "$ip2" >/dev/null || fail "c2's address still in the firewall"
  [[ -z $(dig +short +tries=1 +time=1 @10.89.5.1 web2 2>/dev/null) ]] || fail "web2 still resolves"
  [[ -z $(ls -A /var/lib/cni/results 2>/dev/null) ]] || fail "libcni cache left: $(ls /var/lib/cni/results)"
  [[ -z $(podman ps -aq) ]] || fail "podman still has containers"
  ok "podman rm -f -t 0 c2: no veth, no weft container, no lease, no rule, no name, no libcni cache entry left"
fi

# ============================== containerd ===================================
if ((have_ctr)); then
  C=$T/ctrd
  mkdir -p "$C" "$T/ctr-net.d"
  private_dir /etc/cni/net.d
  mount -n --bind "$T/ctr-net.d" /etc/cni/net.d
  cat >/etc/cni/net.d/10-weft.conflist <<'EOF'
{"cniVersion": "1.0.0", "name": "ctrnet",
 "plugins": [{"type": "weft", "network": "ctrnet", "subnet": "10.89.6.0/24"}]}
EOF
  containerd_config "$C" >"$C/config.toml"
  # Background; dies with the sandbox (its shims too: same PID namespace).
  containerd --config "$C/config.toml" >"$C/log" 2>&1 &
  ctr() { command ctr -a "$C/containerd.sock" -n weft115 "$@"; }
  for _ in $(seq 100); do ctr version >/dev/null 2>&1 && break; sleep 0.1; done
  ctr version >/dev/null 2>&1 || fail "containerd did not come up: $(tail -5 "$C/log")"
  ctr_ip() { db "SELECT e.ipv4 FROM containers c JOIN endpoints e ON e.container = c.name WHERE c.cni_container_id = 'weft115-$1'"; }
  ctr_kill() { # ID: the task dies, its namespace goes; no CNI DEL is sent
    ctr task kill -s KILL "$1" >/dev/null
    for _ in $(seq 50); do [[ $(ctr task ls -q | grep -cx "$1") == 0 ]] && break; ctr task rm "$1" >/dev/null 2>&1 || sleep 0.1; done
    ctr container rm "$1" >/dev/null
  }

  ctr run -d --cni --rootfs "$R" t1 /bin/sleep 600 >/dev/null || fail "ctr run -d t1: $(tail -5 "$C/log")"
  ctr run -d --cni --rootfs "$R" t2 /bin/sleep 600 >/dev/null || fail "ctr run -d t2"
  t1=$(ctr_ip t1) t2=$(ctr_ip t2)
  [[ -n $t1 && -n $t2 ]] || fail "weft has no attachment for weft115-t1/t2: $(db 'SELECT * FROM containers')"
  [[ $(ctr task exec --exec-id a t1 /bin/ip -4 -o addr show eth0) == *"inet $t1/24"* ]] || fail "t1's eth0 lacks $t1"
  out=$(ctr task exec --exec-id p t1 /bin/ping -c1 -W2 "$t2") || fail "t1 cannot ping t2: $out"
  grep -q "from $t2: seq=0" <<<"$out" || fail "t1 -> t2: $out"
  out=$(ctr task exec --exec-id p t2 /bin/ping -c1 -W2 "$t1") || fail "t2 cannot ping t1: $out"
  grep -q "from $t1: seq=0" <<<"$out" || fail "t2 -> t1: $out"
  ok "ctr $(ctr version | awk '/Version:/ {print $2; exit}'): detached t1 ($t1) and t2 ($t2) on ctrnet ping each other"

  out=$(ctr run --rm --cni --rootfs "$R" t3 /bin/sh -c "ip -4 -o addr show eth0; ping -c1 -W2 $t1") ||
    fail "ctr run --rm t3: $out"
  grep -q "from $t1: seq=0" <<<"$out" || fail "t3 -> t1: $out"
  t3=$(sed -nE 's/.*inet ([0-9.]+)\/.*/\1/p' <<<"$out")
  [[ -z $(db "SELECT name FROM containers WHERE cni_container_id = 'weft115-t3'") ]] || fail "t3 survived ctr's DEL"
  [[ -z $(db "SELECT ipv4 FROM endpoints WHERE ipv4 = '$t3'") ]] || fail "t3's lease $t3 survived"
  ok "ctr run --rm t3 ($t3) pings t1; ctr's DEL on exit (empty CNI_NETNS) released it"

  ctr_kill t1
  [[ -n $(db "SELECT name FROM containers WHERE cni_container_id = 'weft115-t1'") ]] ||
    fail "t1 vanished from weft without GC (ctr sends no DEL for -d)"
  weft gc >/dev/null
  [[ -z $(db "SELECT name FROM containers WHERE cni_container_id = 'weft115-t1'") ]] || fail "weft gc kept t1"
  [[ -z $(db "SELECT ipv4 FROM endpoints WHERE ipv4 = '$t1'") ]] || fail "weft gc kept t1's lease"
  [[ $(ctr_ip t2) == "$t2" ]] || fail "weft gc dropped t2, whose task still runs"
  veth_t2=$(db "SELECT e.host_ifname FROM containers c JOIN endpoints e ON e.container = c.name WHERE c.cni_container_id = 'weft115-t2'")
  [[ $(weft_veths) == "$veth_t2" ]] || fail "veths after weft gc: '$(weft_veths)', want only t2's $veth_t2"
  ok "ctr -d t1 killed and removed (no DEL from ctr): weft gc forgot it and released $t1; running t2 and its veth kept"

  ctr_kill t2
  RC=0
  OUT=$(jq -cn '{cniVersion: "1.1.0", name: "ctrnet", type: "weft", network: "ctrnet", subnet: "10.89.6.0/24",
      "cni.dev/valid-attachments": []}' |
    env CNI_COMMAND=GC CNI_PATH=/opt/cni/bin /opt/cni/bin/weft 2>&1) || RC=$?
  [[ $RC == 0 && -z $OUT ]] || fail "CNI GC: rc $RC: $OUT"
  [[ $(db "SELECT count(*) FROM containers") == 0 ]] || fail "CNI GC left: $(db 'SELECT name FROM containers')"
  [[ -z $(weft_veths) ]] || fail "veths left: $(weft_veths)"
  ! nft list ruleset | grep -F "$t2" >/dev/null || fail "t2's address still in the firewall"
  ok "ctr -d t2 killed: a CNI GC (libcni >= 1.2's, sent here by hand) with no valid attachment released $t2; nothing left"
fi
echo "PASS"
