# Real CNI runtimes on two hosts sharing one overlay network (issue #13, item
# 9): podman 4.3 (CNI backend) on h1 and containerd 1.6's `ctr run --cni` on
# h2, each with the same conflist (`"network": "ov"`) and weft as the plugin,
# each host joined to one etcd. The containers reach each other across the
# hosts by address, podman's container resolves ctr's by weft's name for it
# and ctr's resolves podman's --network-alias through its node's weftd; when
# podman removes its container, the name and h1's presence go everywhere.
#
# Each host sets up its runtime in its own mount namespace, as e2e 115 does
# in one sandbox (the clients' fixed paths covered by bind mounts and
# overlays on the host's tmpfs); containers run from a busybox rootfs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../cluster.sh"
: "${WEFT_SRC:?WEFT_SRC must point at the weft source tree}"
need etcd etcd-server || exit 0
need etcdctl etcd-client || exit 0
need busybox busybox-static || exit 0
need podman podman || exit 0
need containerd containerd || exit 0
need ctr containerd || exit 0

# runc puts containers in the machine's cgroup hierarchy: podman's under
# /weft228-podman (conmon in none: e2e 115 drops /libpod_parent), ctr's
# namespace weft228 under /weft228. Emptied and removed as the test ends.
finish() {
  local rc=$?
  cluster_down || rc=1
  drop_cgroups weft228 weft228-podman
  exit "$rc"
}
cluster_up --hosts 2 --etcd 1
trap finish EXIT
for h in h1 h2; do on "$h" weft cluster join --store "$CLUSTER_ETCD" >/dev/null || fail "$h: join"; done
on h1 weft network create ov --driver overlay --subnet 10.236.0.0/16 >/dev/null || fail "create ov"

S=$CLUSTER_DIR/shared # /run/shared on every node (R)
R=/run/shared
for h in h1 h2; do    # a busybox rootfs each (runtimes write mount points into it)
  r=$S/rootfs-$h
  mkdir -p "$r"/{bin,etc,proc,sys,dev,tmp,run,root}
  cp "$(command -v busybox)" "$r/bin/busybox"
  for a in sh ip ping nslookup sleep cat; do ln -s busybox "$r/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
  printf 'root:x:0:\n' >"$r/etc/group"
done
echo '{"cniVersion": "1.0.0", "name": "ov", "plugins": [{"type": "weft", "network": "ov",
  "capabilities": {"aliases": true}}]}' >"$S/ov.conflist"

# A host's runtime setup, run inside the host (its mount namespace keeps the
# mounts): the plugin dir (weft, by a symlink, so it finds weftd next to its
# real path) at /usr/lib/cni and /opt/cni/bin, libcni's cache, the conflist,
# and the state dir as weft's default too (podman's cleanup runs weft with a
# reduced environment).
cat >"$S/setup.sh" <<'EOF'
source "$WEFT_SRC/tests/e2e/lib.sh"
T=/run/t228
mkdir -p "$T/cni-bin" "$T/net.d" "$T/tmp"
ln -sfn "$WEFT" "$T/cni-bin/weft"
cp /run/shared/ov.conflist "$T/net.d/10-ov.conflist"
for d in /usr/lib/cni /opt/cni/bin /etc/cni/net.d /var/lib/cni /var/lib/weft; do private_dir "$d"; done
mount -n --bind "$T/cni-bin" /usr/lib/cni
mount -n --bind "$T/cni-bin" /opt/cni/bin
mount -n --bind "$T/net.d" /etc/cni/net.d
mount -n -t tmpfs weft-cni-cache /var/lib/cni
mount -n --bind "$WEFT_STATE_DIR" /var/lib/weft
cat >"$T/containers.conf" <<EOC
[network]
network_backend = "cni"
network_config_dir = "$T/net.d"
cni_plugin_dirs = ["$T/cni-bin"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/events.log"
tmp_dir = "$T/tmp"
runtime = "runc"
EOC
mkdir -p "$T/ctrd"
containerd_config "$T/ctrd" >"$T/containerd.toml"
EOF
# podman and ctr as run on a host, with their private state.
cat >"$S/podman" <<'EOF'
#!/bin/bash
T=/run/t228
export CONTAINERS_CONF=$T/containers.conf TMPDIR=$T/tmp
exec podman --root "$T/p/root" --runroot "$T/p/run" --storage-driver vfs --tmpdir "$T/tmp" \
  --network-backend cni --network-config-dir "$T/net.d" --cgroup-manager cgroupfs \
  --events-backend file "$@"
EOF
printf '#!/bin/bash\nexec ctr -a /run/t228/ctrd/containerd.sock -n weft228 "$@"\n' >"$S/ctr"
chmod +x "$S/podman" "$S/ctr"
for h in h1 h2; do on "$h" bash "$R/setup.sh" || fail "$h: runtime setup"; done
on_bg h2 bash -c 'exec containerd --config /run/t228/containerd.toml >/run/t228/containerd.log 2>&1'
for _ in $(seq 100); do on h2 "$R/ctr" version >/dev/null 2>&1 && break; sleep 0.1; done
on h2 "$R/ctr" version >/dev/null 2>&1 || fail "containerd did not come up on h2"
ok "h1 runs podman $(on h1 "$R/podman" version --format '{{.Client.Version}}'), h2 containerd; both with weft as the CNI plugin of ov"

# --- a container on each host ----------------------------------------------------
on h1 "$R/podman" run -d --cgroups no-conmon --cgroup-parent /weft228-podman --name p1 --network ov --network-alias web1 \
  --rootfs /run/shared/rootfs-h1 /bin/sleep 600 >/dev/null || fail "podman run p1 on h1"
on h2 "$R/ctr" run -d --cni --rootfs /run/shared/rootfs-h2 t2 /bin/sleep 600 >/dev/null ||
  fail "ctr run t2 on h2"
p1=$(on h1 "$R/podman" inspect -f '{{.NetworkSettings.Networks.ov.IPAddress}}' p1)
t2=$(on h2 weft --json ps | jq -r '.[] | select(.name == "cni-weft228-t2-eth0") | .networks[0].ipv4')
[[ $p1 == 10.236.* && $t2 == 10.236.* && ${p1%.*} != "${t2%.*}" ]] ||
  fail "p1 ($p1, podman's word) and t2 ($t2, weft's) are not in ov's blocks of two nodes"
[[ $(on h2 "$R/ctr" task exec --exec-id a t2 /bin/ip -4 -o addr show eth0) == *"inet $t2/16"* ]] ||
  fail "t2's eth0 (kernel) lacks $t2/16"
ok "podman's p1 on h1 ($p1) and ctr's t2 on h2 ($t2): addresses of the two nodes' blocks of ov"

# --- across the hosts ----------------------------------------------------------------
# A new block reaches the other node through its etcd watch: a moment.
pingable() { # HOST CMD...: CMD (a ping) succeeds within 15 s; else prints its output
  local h=$1 deadline=$((SECONDS + 15)) out
  shift
  until out=$(on "$h" "$@" 2>&1); do ((SECONDS < deadline)) || { echo "$out" >&2; return 1; }; done
}
pingable h1 "$R/podman" exec p1 ping -c1 -W1 "$t2" || fail "p1 (podman, h1) cannot ping t2 (ctr, h2)"
pingable h2 "$R/ctr" task exec --exec-id p t2 /bin/ping -c1 -W1 "$p1" || fail "t2 (ctr, h2) cannot ping p1 (podman, h1)"
# By name: podman's resolv.conf names weft's DNS on h1, which answers for
# t2 on h2; t2 asks its own node's weftd (the gateway) for podman's alias.
out=$(on h1 "$R/podman" exec p1 ping -c1 -W2 cni-weft228-t2-eth0) || fail "p1 cannot ping t2 by name: $out"
grep -q "from $t2: seq=0" <<<"$out" || fail "p1's ping of t2 by name did not reach $t2: $out"
deadline=$((SECONDS + 15))
until out=$(on h2 "$R/ctr" task exec --exec-id n t2 /bin/nslookup web1 10.236.0.1 2>&1) && grep -q "Address: $p1\$" <<<"$out"; do
  ((SECONDS < deadline)) || fail "t2 (h2) does not resolve web1 (podman's alias on h1): $out"
  sleep 0.2
done
ok "p1 and t2 ping each other across the hosts; p1 reaches t2 by weft's name for it, t2 resolves p1's --network-alias web1 through h2's weftd"

# --- podman removes its container: gone from every node --------------------------
on h1 "$R/podman" rm -f -t 0 p1 >/dev/null || fail "podman rm p1"
[[ -z $(on h1 ip -br link show type vxlan) ]] || fail "h1 keeps its VXLAN device after podman removed its last container"
deadline=$((SECONDS + 15))
while :; do
  rc=0
  out=$(on h2 "$R/ctr" task exec --exec-id n t2 /bin/nslookup web1.ov 10.236.0.1 2>&1) || rc=$?
  if ((rc != 0)) && grep -q "can't find web1.ov: NXDOMAIN" <<<"$out"; then break; fi
  ((SECONDS < deadline)) || fail "web1.ov still resolves on h2 after podman rm (or no NXDOMAIN): $out"
  sleep 0.2
done
ok "podman rm -f p1: h1's presence on ov is gone and web1.ov is NXDOMAIN on h2"
