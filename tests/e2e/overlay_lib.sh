# Helpers for the overlay e2e tests (220, 225), sourced after lib.sh and
# tests/cluster.sh: containers on the many-hosts harness.

# ip_of HOST CONTAINER [NETWORK]: the container's address on NETWORK (ov).
ip_of() {
  on "$1" weft --json inspect "$2" | jq -r --arg n "${3:-ov}" '.networks[] | select(.network == $n) | .ipv4'
}
# inside HOST CONTAINER CMD...: runs CMD in the container on HOST (its
# namespace and its resolv.conf: weft exec).
inside() { local h=$1 c=$2; shift 2; on "$h" weft exec "$c" -- "$@"; }
# wait_listen HOST NETNS|- PORT: until a TCP socket listens on PORT there.
wait_listen() {
  local h=$1 ns=$2 port=$3 deadline=$((SECONDS + 10)) in=()
  [[ $ns == - ]] || in=(ip netns exec "$ns")
  until [[ -n $(on "$h" "${in[@]}" ss -ltnH "sport = :$port") ]]; do
    ((SECONDS < deadline)) || fail "nothing listens on port $port on $h ($ns)"
    sleep 0.1
  done
}
# reach HOST CONTAINER ADDRESS: CONTAINER pings ADDRESS within 3 s (a new
# block reaches the other nodes through their etcd watch, asynchronously);
# on failure, what the nodes' fabrics held.
reach() {
  local deadline=$((SECONDS + 3))
  until inside "$1" "$2" ping -c1 -W1 "$3" >/dev/null; do
    if ((SECONDS >= deadline)); then
      local h
      for h in "${!CLUSTER_PID[@]}"; do
        echo "--- $h: $(on "$h" ip -br addr show | grep -E '^wvx' | tr '\n' ' ')" >&2
        on "$h" ip route show | grep -E 'wvx|wob' >&2 || true
      done
      return 1
    fi
  done
}
# resolves HOST CONTAINER NAME: CONTAINER resolves NAME within 5 s (another
# node's endpoint reaches this node's DNS through its etcd watch, which with
# a member down may first have to move to another member).
resolves() {
  local deadline=$((SECONDS + 5))
  until inside "$1" "$2" getent hosts "$3" >/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
