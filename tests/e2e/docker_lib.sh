# A real dockerd 20.10 (Debian's docker.io) inside the sandbox, for e2e tests
# (sourced after lib.sh, with T set to the test's scratch dir on the
# sandbox's /run). weftd can serve Docker's remote network driver on the
# sandbox's own /run/docker/plugins/weft.sock; dockerd keeps its containerd,
# data and exec roots, socket and pid file under $T, and /etc/docker is a
# tmpfs, so nothing lands on the machine's disk (checked by the tests: not in
# /var/lib/docker). The image, weft-test:latest, is a busybox rootfs imported
# offline (no registry, no pull). runc puts containers in the machine's
# cgroup hierarchy (there is no private one), under /weft-<random>
# (--cgroup-parent; this run's own, so runs in parallel never touch each
# other's), removed when empty as the test ends (docker_finish).
: "${T:?docker_lib.sh needs T}"
: "${WEFT_SRC:?WEFT_SRC must point at the weft source tree}"

# docker.io's client, of the daemon's version (another `docker` may come
# first in PATH).
DOCKER_BIN=/usr/bin/docker
export DOCKER_HOST=unix://$T/docker.sock DOCKER_CONFIG=$T/client
docker() { "$DOCKER_BIN" "$@"; }
WEFTD="$(dirname "$WEFT")/weftd"
SOCK=/run/docker/plugins/weft.sock
DOCKERD_PID="" WEFTD_PID=""
CGROUP=weft-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
[[ -e /var/lib/docker ]] && had_var_lib_docker=1 || had_var_lib_docker=0
[[ -d /etc/docker ]] && mount -n -t tmpfs weft-etc-docker /etc/docker

db() { sqlite3 "$WEFT_STATE_DIR/weft.db" "$@"; }
# http_get NS ADDR PORT: GET /index.html, prints the body.
http_get() {
  printf 'GET /index.html HTTP/1.0\r\n\r\n' |
    timeout 6 ip netns exec "$1" socat -t3 -T3 - "TCP4:$2:$3,connect-timeout=2" | sed '1,/^\r\?$/d'
}
host_veths() { ip -j link show type veth | jq -r '[.[].ifname | select(. != "uplink0")] | sort | join(" ")'; }
# cip CONTAINER NETWORK: the container's IPv4 address on a Docker network.
cip() { docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"; }

# docker_need: are busybox and docker.io installed? (See need in lib.sh.)
docker_need() {
  need busybox busybox-static && need dockerd docker.io && need "$DOCKER_BIN" docker.io
}

# stop PID: SIGTERM, up to 20 s, then SIGKILL. Returns the exit status.
stop() {
  local pid=$1 rc=0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  wait "$pid" || rc=$?
  return $rc
}

# docker_finish: the EXIT trap. Logs on failure; removes containers, stops
# dockerd and weftd, drops the cgroups.
docker_finish() {
  local rc=$?
  if ((rc != 0)); then
    echo "--- dockerd log (last 40 lines)" && tail -40 "$T/dockerd.log"
    echo "--- weftd log (last 60 lines)" && tail -60 "$T/weftd.log"
  fi >&2 2>/dev/null
  if [[ -n $DOCKERD_PID ]] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    mapfile -t left < <(docker ps -aq 2>/dev/null)
    ((${#left[@]} == 0)) || docker rm -f "${left[@]}" >/dev/null 2>&1 || true
    stop "$DOCKERD_PID" || true
  fi
  [[ -n $WEFTD_PID ]] && { stop "$WEFTD_PID" || true; }
  drop_cgroups "$CGROUP"
}

# make_test_image: a busybox rootfs in $T/rootfs (with /www/index.html),
# imported as weft-test:latest once dockerd runs (start_dockerd).
make_test_image() {
  local R=$T/rootfs a
  mkdir -p "$R"/{bin,etc,proc,sys,dev,tmp,run,root,www}
  cp "$(command -v busybox)" "$R/bin/busybox"
  for a in sh ip ping nslookup nc wget httpd cat sleep echo; do ln -s busybox "$R/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
  printf 'root:x:0:\n' >"$R/etc/group"
  echo "hello from weft-test" >"$R/www/index.html"
}

# start_weftd_plugin: weftd serving Docker's remote driver API on $SOCK.
start_weftd_plugin() {
  "$WEFTD" --foreground --docker-plugin --debug --state-dir "$WEFT_STATE_DIR" 2>"$T/weftd.log" &
  WEFTD_PID=$!
  for _ in $(seq 100); do
    [[ -S $SOCK ]] && break
    sleep 0.05
  done
  [[ -S $SOCK ]] || fail "weftd made no plugin socket: $(cat "$T/weftd.log")"
}

# start_dockerd [DOCKERD-FLAGS...]: dockerd with its own roots under $T
# (vfs storage) and the given flags, waits until it answers, imports the
# test image.
start_dockerd() {
  # Upstream DNS for Docker's embedded resolver: the outside namespace (no
  # server there), not the public resolvers Docker falls back to when
  # resolv.conf, as in the sandbox, is empty.
  cat >"$T/daemon.json" <<JSON
{"deprecated-key-path": "$T/key.json", "cgroup-parent": "/$CGROUP", "dns": ["198.51.100.2"]}
JSON
  dockerd --data-root "$T/data" --exec-root "$T/x" -H "$DOCKER_HOST" --pidfile "$T/docker.pid" \
    --config-file "$T/daemon.json" --storage-driver vfs "$@" >"$T/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 150); do
    docker version >/dev/null 2>&1 && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || fail "dockerd exited"
    sleep 0.2
  done
  docker version >/dev/null 2>&1 || fail "dockerd did not come up"
  [[ $(docker info -f '{{.DockerRootDir}}') == "$T/data" ]] || fail "dockerd's root: $(docker info -f '{{.DockerRootDir}}')"
  tar -C "$T/rootfs" -c . | docker import - weft-test:latest >/dev/null || fail "docker import"
}
