# 200 containers each publishing one port: the rule count does not grow with
# them (one map element per mapping), every port answers, and removing 100
# leaves exactly the other 100 working.
source "$(dirname "$0")/lib.sh"
N=${N:-200}
make_outside
weft network create big --subnet 10.70.0.0/22 >/dev/null

rule_count() { nft -j list table inet weft | jq '[.nftables[] | select(.rule)] | length'; }
elements() { nft -j list map inet weft ports4_any_port | jq '.nftables[1].map.elem | length'; }

weft create s1 --network big -p 20001:80 >/dev/null
one=$(rule_count)
for i in $(seq 2 $N); do weft create "s$i" --network big -p "$((20000 + i)):80" >/dev/null; done
[[ $(rule_count) == "$one" ]] || fail "rules grew from $one to $(rule_count) with $N published ports"
[[ $(elements) == "$N" ]] || fail "expected $N map elements, found $(elements)"
ok "$N published ports: $one rules, as with one; $N map elements"

for i in $(seq 1 $N); do
  ip netns exec "s$i" socat TCP4-LISTEN:80,reuseaddr,fork SYSTEM:"head -c1 >/dev/null; echo s$i" &
done
for i in $(seq 1 $N); do wait_port "s$i" 80; done
# answering I...: the containers (by number) whose published port answers
# from outside with their own name.
answering() {
  local i
  for i in "$@"; do
    if [[ $(tcp_send outside 198.51.100.1 $((20000 + i)) x 2>/dev/null) == "s$i" ]]; then echo "$i"; fi
  done
}
# silent I...: those that do not. One that timed out on a loaded machine is
# asked once more before it counts.
silent() {
  local quiet
  quiet=$(comm -23 <(printf '%s\n' "$@" | sort) <(answering "$@" | sort))
  [[ -z $quiet ]] || quiet=$(comm -23 <(sort <<<"$quiet") <(answering $quiet | sort))
  echo $quiet
}
quiet=$(silent $(seq 1 $N))
[[ -z $quiet ]] || fail "published ports of containers [$quiet] do not answer (of $N)"
ok "every one of $N ports answers from outside, each from its own container"

half=$((N / 2))
for i in $(seq 1 $half); do weft rm "s$i"; done
[[ $(elements) == "$((N - half))" ]] || fail "expected $((N - half)) elements after removal"
quiet=$(silent $(seq $((half + 1)) $N))
[[ -z $quiet ]] || fail "surviving ports of [$quiet] stopped answering"
still=$(answering $(seq 1 $half) | tr '\n' ' ')
[[ -z $still ]] || fail "removed containers' ports still answer: [$still]"
[[ $(rule_count) == "$one" ]] || fail "rule count changed on removal"
ok "075-ports-scale"
