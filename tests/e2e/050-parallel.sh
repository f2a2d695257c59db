# Many weft processes at once: distinct addresses, all reachable, and a clean
# slate after removing them all. The first create also makes the default
# network, from many processes at once.
source "$(dirname "$0")/lib.sh"
N=${N:-50}

pids=()
for i in $(seq 1 $N); do
  weft create "p$i" >/dev/null &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a parallel create failed"; done

[[ $(weft network ls --json | jq length) == 1 ]] || fail "default network made more than once"
addrs=$(for i in $(seq 1 $N); do container_ipv4 "p$i"; done)
[[ $(sort -u <<<"$addrs" | wc -l) == "$N" ]] || fail "duplicate addresses: $(sort <<<"$addrs" | uniq -d)"
ok "$N parallel creates: $N distinct addresses (kernel's word)"

serve_peer p1 0.0.0.0 7001
for i in $(seq 2 $N); do
  [[ $(tcp_send "p$i" "$(container_ipv4 p1)" 7001 x) == "$(container_ipv4 "p$i")" ]] || fail "p$i cannot reach p1"
done
ok "all $N reach p1"

pids=()
for i in $(seq 1 $N); do
  weft rm "p$i" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a parallel rm failed"; done
settle  # the veths go with their namespaces, in the background
[[ $(ip -j link show | jq '[.[] | select(.ifname | startswith("veth"))] | length') == 0 ]] || fail "veths left"
[[ $(ls "$WEFT_NETNS_DIR" | wc -l) == 0 ]] || fail "namespaces left"
[[ $(sqlite3 "$WEFT_STATE_DIR/weft.db" 'select count(*) from endpoints; select count(*) from containers' | awk '{s+=$1} END {print s}') == 0 ]] || fail "records left"
[[ $(ls "$WEFT_STATE_DIR/containers" | wc -l) == 0 ]] || fail "container files left"
ok "050-parallel"
