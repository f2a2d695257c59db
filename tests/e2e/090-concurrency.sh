# Any mix of weft commands run at once either succeeds or fails cleanly:
# 100 operations (create with and without published ports, connect,
# disconnect, rm) from 20 parallel processes on three networks, with weft gc
# run over and over meanwhile. Afterwards:
# no duplicate address (the kernel's word), every container reachable,
# kernel and store agree, and weft gc finds nothing to do.
source "$(dirname "$0")/lib.sh"
WORKERS=${WORKERS:-20}
OPS=${OPS:-5}
nets=(red green blue)
for n in "${nets[@]}"; do weft network create "$n" >/dev/null; done

worker() {
  local w=$1 i op name mine=() net other
  RANDOM=$w
  for i in $(seq 1 "$OPS"); do
    net=${nets[RANDOM % 3]}
    other=${nets[RANDOM % 3]}
    op=$((RANDOM % 5))
    if ((${#mine[@]} == 0)); then op=0; fi
    name=${mine[RANDOM % (${#mine[@]} > 0 ? ${#mine[@]} : 1)]:-}
    case $op in
      0) weft create "w$w-$i" --network "$net" && mine+=("w$w-$i") ;;
      1) weft create "w$w-$i" --network "$net" -p "$((30000 + w * 10 + i)):80" && mine+=("w$w-$i") ;;
      2) weft connect "$other" "$name" || true ;;   # may already be on it: refused cleanly
      3) weft disconnect "$other" "$name" || true ;;  # may not be on it: refused cleanly
      4) weft rm "$name" && mine=("${mine[@]/$name/}") && mine=(${mine[@]}) ;;
    esac
  done
}

pids=()
for w in $(seq 1 "$WORKERS"); do
  worker "$w" >"$WEFT_STATE_DIR/worker$w.log" 2>&1 &
  pids+=($!)
done
# weft gc meanwhile, again and again: it must not take what a create made
# before the state lock (its link, not yet the container's) for a leftover.
touch "$WEFT_STATE_DIR/workers-running"
(while [[ -e $WEFT_STATE_DIR/workers-running ]]; do weft gc >/dev/null || echo "weft: error: gc failed"; done) \
  >"$WEFT_STATE_DIR/gc-loop.log" 2>&1 &
gc_loop=$!
for p in "${pids[@]}"; do wait "$p" || true; done
rm "$WEFT_STATE_DIR/workers-running"
wait "$gc_loop"
grep -h 'weft: error' "$WEFT_STATE_DIR/gc-loop.log" && fail "weft gc failed while the workers ran"
# Every failure must be a clean, one-line refusal (no crash, no rollback error).
if grep -h 'weft: error' "$WEFT_STATE_DIR"/worker*.log | grep -v -E 'already on network|is not on network' | grep .; then
  fail "unexpected errors above"
fi
grep -h -i -E 'rollback also failed|abort|sanitizer|segmentation' "$WEFT_STATE_DIR"/worker*.log && fail "a worker crashed or left a half-rollback"

count=$(weft ps --json | jq length)
[[ $count -gt 0 ]] || fail "no container survived"
for n in "${nets[@]}"; do
  kernel=$(weft network inspect "$n" | jq -r '.containers[] | "\(.name) \(.interface)"' | while read -r c ifc; do
    ip -n "$c" -j -4 addr show dev "$ifc" | jq -r '.[0].addr_info[0].local'
  done)
  [[ $(sort <<<"$kernel" | uniq -d) == "" ]] || fail "duplicate address on $n: $(sort <<<"$kernel" | uniq -d)"
  for a in $kernel; do
    ping -c1 -W2 "$a" >/dev/null || fail "$a on $n unreachable"
  done
done
ok "$count containers after $((WORKERS * OPS)) operations from $WORKERS processes: no duplicate address, all reachable"
weft status >/dev/null || fail "kernel and store disagree"
[[ $(weft gc) == "nothing to do" ]] || fail "gc found something to do"
ok "090-concurrency"
