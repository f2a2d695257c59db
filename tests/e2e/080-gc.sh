# Crash safety: weft killed (SIGKILL) just before any step of any mutating
# command, then `weft gc`: nothing leaked, and the state is either the one
# before the command or the one it would have made. Containers that existed
# before keep working. Then a reboot (a fresh network namespace, same state
# dir): the next weft command brings the store back in line.
source "$(dirname "$0")/lib.sh"
make_outside
weft network create base --ipv6 >/dev/null
weft network create other >/dev/null
weft create p1 --network base -p 8080:80 >/dev/null
weft create p2 --network base >/dev/null
serve_peer p1 0.0.0.0 7001
P1=$(container_ipv4 p1)
P2=$(container_ipv4 p2)
alive() { [[ $(tcp_send p2 "$P1" 7001 x 2>/dev/null) == "$P2" ]]; }
alive || fail "fixture broken"

# crash LABEL UNDO CMD...: learn CMD's steps, then for each step kill weft
# there, run gc, and compare with the states before and after.
crash() {
  local label=$1 undo=$2
  shift 2
  local steps before after s rc n=0
  steps=$(weft --debug "$@" 2>&1 >/dev/null | sed -n 's/^weft: debug: applied \([a-z-]*\) in .*/\1/p' | sort -u)
  after=$(snapshot_sans_ids)
  bash -c "$undo" >/dev/null
  before=$(snapshot_sans_ids)
  for s in $steps; do
    rc=0
    # In the background, so bash does not report the kill.
    WEFT_FAULT=$s:kill "$WEFT" "$@" >/dev/null 2>&1 &
    wait $! 2>/dev/null || rc=$?
    [[ $rc == 137 ]] || fail "$label: kill at $s: exit $rc, not 137"
    weft gc >/dev/null
    [[ $(weft gc) == "nothing to do" ]] || fail "$label: gc after kill at $s is not idempotent"
    local now
    now=$(snapshot_sans_ids)
    if [[ $now == "$after" ]]; then
      bash -c "$undo" >/dev/null
    elif [[ $now != "$before" ]]; then
      # A command of several parts (network rm --force detaches containers
      # one by one) may stop between parts: then the kernel must agree with
      # the store, and finishing the command must reach the state after.
      weft status >/dev/null || fail "$label: kill at $s, then gc: kernel and store disagree"
      "$WEFT" "$@" >/dev/null 2>&1 || true
      [[ $(snapshot_sans_ids) == "$after" ]] || {
        diff <(echo "$after") <(snapshot_sans_ids) | cut -c1-200 | head -6 >&2
        fail "$label: kill at $s, then gc: neither the state before nor after, nor on the way"
      }
      bash -c "$undo" >/dev/null
    fi
    alive || fail "$label: kill at $s broke p1 <-> p2"
    n=$((n + 1))
  done
  ok "$label: killed at each of $n steps; gc left no leak"
}

W="$WEFT"
crash "network create" "$W network rm nc" network create nc --ipv6
weft network create nr >/dev/null
crash "network rm" "$W network create nr" network rm nr
weft network create nf >/dev/null && weft create f1 --network nf >/dev/null
crash "network rm --force" "$W network create nf && $W connect nf f1" network rm --force nf
crash "create -p" "$W rm k" create k --network base --network other -p 9090:90
crash "connect" "$W disconnect other p2" connect other p2
crash "create (none)" "$W rm cn" create cn --network none
crash "create (default network made on the way)" "$W rm cd && $W network rm weft" create cd
weft connect other p2
crash "disconnect" "$W connect other p2" disconnect other p2
weft create r --network base -p 9191:91 >/dev/null
crash "rm" "$W create r --network base -p 9191:91" rm r

# A command that finds the previous one died cleans up first.
WEFT_FAULT=create-veth:kill "$WEFT" create dead --network base >/dev/null 2>&1 &
wait $! 2>/dev/null || true
msg=$(weft create fine --network base 2>&1 >/dev/null)
[[ $msg == *"did not finish; cleaned up first"* ]] || fail "no automatic clean-up: $msg"
# Its veth (made before the lock, tagged "weft preparing container dead ...")
# goes with its namespace, which the kernel tears down in the background.
for _ in $(seq 300); do  # up to 30 s on a loaded machine
  left=$(ip -j -d link show | jq '[.[] | select((.ifalias // "") | test("^weft (preparing )?container dead "))] | length')
  [[ $left == 0 ]] && break
  sleep 0.1
done
[[ $left == 0 ]] || fail "dead's veth left"
[[ ! -e $WEFT_NETNS_DIR/dead ]] || fail "dead's namespace left"
weft rm fine
ok "the next command cleans up after a killed one"

# A bridge deleted under weft's feet: status says so, gc re-creates it and
# plugs the surviving veths back in.
bridge=$(weft network inspect base | jq -r .bridge)
ip link del "$bridge"
weft status >/dev/null 2>&1 && fail "status missed the deleted bridge"
weft gc >/dev/null
weft status >/dev/null || fail "status not clean after gc re-made $bridge"
[[ $(weft gc) == "nothing to do" ]] || fail "gc after re-attaching is not idempotent"
alive || fail "p2 cannot reach p1 after gc re-made $bridge"
ok "a deleted bridge is re-made by gc with its veths plugged back in"

# Reboot: a fresh network namespace and netns dir, the same state dir.
nets=$(weft network ls --json | jq length)
leases_before=$(sqlite3 "$WEFT_STATE_DIR/weft.db" 'select count(*) from endpoints')
[[ $leases_before -gt 0 ]] || fail "fixture has no leases"
out=$(unshare --net --mount bash -c '
  set -euo pipefail
  mount -n -t tmpfs weft-reboot "$WEFT_NETNS_DIR"
  ip link set lo up
  "$WEFT" ps >/dev/null                       # read-only: no clean-up
  "$WEFT" create after --network base >/dev/null 2>"$WEFT_STATE_DIR/reboot.err"
  cat "$WEFT_STATE_DIR/reboot.err"
  echo "containers: $("$WEFT" ps --json | jq -r "map(.name) | join(\",\")")"
  echo "leases: $(sqlite3 "$WEFT_STATE_DIR/weft.db" "select count(*) from endpoints")"
  echo "address: $(ip -n after -j -4 addr show dev eth0 | jq -r ".[0].addr_info[0].local")"
  ip -j link show | jq -r ".[].ifname" | grep -c "^weft" | sed "s/^/bridges: /"
  "$WEFT" status >/dev/null && echo "status: ok"
')
grep -q 'the host was restarted; cleaned up first' <<<"$out" || fail "no clean-up after reboot: $out"
grep -qx 'containers: after' <<<"$out" || fail "stale containers after reboot: $out"
grep -qx 'leases: 1' <<<"$out" || fail "stale leases after reboot: $out"
grep -qx 'address: 10.89.0.2' <<<"$out" || fail "first address not reused after reboot: $out"
grep -qx "bridges: $nets" <<<"$out" || fail "bridges not re-created after reboot: $out"
grep -qx 'status: ok' <<<"$out" || fail "status not ok after reboot: $out"
ok "080-gc"
