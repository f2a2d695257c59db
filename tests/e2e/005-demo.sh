# `weft demo` (the main job of `make demo`) passes every proof. It makes its
# own sandbox; here that sandbox is nested in the test's.
source "$(dirname "$0")/lib.sh"
# Inside its own PID namespace the demo runs as PID 1, where LeakSanitizer
# cannot stop the world; in a sanitizer build the demo skips leak checks.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
out=$(env -u WEFT_STATE_DIR -u WEFT_NETNS_DIR "$WEFT" demo 2>&1) || { echo "$out"; fail "weft demo failed"; }
grep -Eq '^PASS: ([0-9]+) of \1 proofs held.$' <<<"$out" || { echo "$out"; fail "not every proof held"; }
! grep -q 'FAILED' <<<"$out" || fail "a proof failed"
ok "005-demo"
