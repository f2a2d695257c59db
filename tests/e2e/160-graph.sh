# weft graph: the live topology from the kernel and the store as DOT, SVG
# (in-process through libgvc) and one HTML page; what is out of step is red.
source "$(dirname "$0")/lib.sh"
T=$(mktemp -d /run/graph.XXXXXX)

make_outside
weft network create front >/dev/null
weft network create back --ipv6 >/dev/null
weft create c1 --network front -p 8080:80 >/dev/null
weft create c2 --network front >/dev/null
weft create c3 --network back >/dev/null
weft create c4 --network back >/dev/null

# The kernel's word on every object, before anything is broken.
br_front=$(weft network inspect front | jq -r .bridge)
br_back=$(weft network inspect back | jq -r .bridge)
v6_back=$(weft network inspect back | jq -r '.subnets[1].subnet')
gw6_back=$(weft network inspect back | jq -r '.subnets[1].gateway')
declare -A hostif mac ip4
for c in c1 c2 c3 c4; do
  hostif[$c]=$(weft inspect "$c" | jq -r '.networks[0].host_interface')
  mac[$c]=$(ip -n "$c" -j link show eth0 | jq -r '.[0].address')
  ip4[$c]=$(container_ipv4 "$c")
done
ip6_c3=$(container_ipv6 c3)
hostmac_c1=$(ip -j link show "${hostif[c1]}" | jq -r '.[0].address')

# A healthy graph: exit 0, nothing red, DOT that Graphviz's own parser takes.
weft graph >"$T/ok.dot"
grep -q '^graph weft {' "$T/ok.dot" || fail "dot to stdout by default"
grep -q 'color="red"' "$T/ok.dot" && fail "healthy topology drawn red: $(grep red "$T/ok.dot")"
if need dot graphviz; then
  dot -Tsvg "$T/ok.dot" >/dev/null || fail "dot cannot parse weft graph's output"
  ok "DOT parses with Graphviz's dot"
fi
[[ $(weft graph --json | jq -r '.out_of_step') == 0 ]] || fail "--json: healthy topology out of step"
ok "healthy: nothing red"

# Break things: c4's host veth goes (its peer with it); a stray veth on
# front's bridge whose peer is in a namespace weft does not know.
ip link del "${hostif[c4]}"
ip netns add rogue
ip link add vstray type veth peer name eth0 netns rogue
ip link set vstray master "$br_front" up
stray_mac=$(ip -j link show vstray | jq -r '.[0].address')

out=$(weft graph --format svg -o "$T/g.svg")
[[ $out == "wrote $T/g.svg (svg): 2 network(s), 4 container(s), 3 out of step" ]] || fail "summary: $out"
head -c 200 "$T/g.svg" | has '<svg' || has '^<svg' "$T/g.svg" || fail "not SVG"

# Every object's name and address is in the drawing's text.
python3 - "$T/g.svg" >"$T/svg.txt" <<'EOF'
import sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(sys.argv[1]).getroot()
for g in root.iter("{http://www.w3.org/2000/svg}g"):
    if g.get("class") not in ("node", "cluster"):
        continue
    title = g.find("s:title", ns).text
    strokes = {e.get("stroke") for e in g if e.get("stroke")}
    texts = [t.text or "" for t in g.findall("s:text", ns)]
    print("\t".join([title, ",".join(sorted(strokes)), "|".join(texts)]))
EOF
texts=$(cut -f3 "$T/svg.txt")
want=(front back "$br_front" "$br_back" 10.89.0.0/24 10.89.0.1 10.89.1.0/24 10.89.1.1 "$v6_back" "$gw6_back"
  uplink0 198.51.100.1/24 "default via 198.51.100.2" "tcp *:8080 → 80" "$hostmac_c1" vstray "$stray_mac" "namespace rogue")
# c4's MACs went with its veth (the kernel chose them; the store has none):
# its names and addresses (the store's) are still drawn.
for c in c1 c2 c3 c4; do
  want+=("container $c" "netns /run/netns/$c" "${hostif[$c]}" "${ip4[$c]}")
  [[ $c == c4 ]] || want+=("${mac[$c]}")
done
want+=("$ip6_c3")
for w in "${want[@]}"; do
  grep -qF -- "$w" <<<"$texts" || fail "SVG does not show '$w'"
done
ok "SVG shows all ${#want[@]} names, addresses and MACs"

# stroke of node TITLE in the SVG
stroke() { awk -F'\t' -v t="$1" '$1 == t { print $2 }' "$T/svg.txt"; }
for n in "veth:${hostif[c4]}" if:c4:eth0 stray:vstray netns:rogue; do
  [[ $(stroke "$n") == *red* ]] || fail "$n is not drawn red: $(stroke "$n")"
done
for n in "veth:${hostif[c1]}" "veth:${hostif[c2]}" "veth:${hostif[c3]}" if:c1:eth0 if:c3:eth0 \
  ctr:c1 ctr:c2 ctr:c3 ctr:c4 bridge:front bridge:back host uplink port:c1:tcp:8080; do
  s=$(stroke "$n")
  [[ -n $s && $s != *red* ]] || fail "$n should be drawn, not red: '$s'"
done
grep -q 'host end '"${hostif[c4]}"' is missing from the kernel' "$T/g.svg" || fail "c4's problem not said"
ok "broken veth (c4), stray link and unknown namespace are red; the rest is not"

# The model as JSON says the same.
j=$(weft graph --json)
jq -e --arg h "${hostif[c4]}" '.containers[] | select(.name == "c4") | .endpoints[0] | (.host_ifname == $h and (.host_present | not) and (.inner_present | not))' <<<"$j" >/dev/null || fail "json c4"
jq -e '.stray_links == [{"name": "vstray", "kind": "veth", "mac": "'"$stray_mac"'", "network": "front", "peer_netns": "rogue"}]' <<<"$j" >/dev/null || fail "json stray: $(jq -c .stray_links <<<"$j")"
jq -e '[.unknown_namespaces[].name] == ["rogue"] and .uplink.name == "uplink0" and .out_of_step == 3' <<<"$j" >/dev/null || fail "json: $j"
ok "--json model"

# --network: one network and its containers; a file's extension picks the format.
weft graph --network back -o "$T/back.dot" >/dev/null
grep -q '^graph weft {' "$T/back.dot" || fail ".dot file"
grep -q '"bridge:back"' "$T/back.dot" || fail "--network back lacks its bridge"
grep -Eq '"(bridge:front|ctr:c1|stray:vstray|netns:rogue)"' "$T/back.dot" && fail "--network back shows front's objects"
grep -q '"ctr:c3"' "$T/back.dot" || fail "--network back lacks c3"
expect_error 'no network "nope"' weft graph --network nope
expect_error 'format' weft graph --format png
ok "--network, format from -o's extension, bad input refused"

# HTML: one self-contained page with the SVG inline, a legend and a table.
weft graph -o "$T/g.html" >/dev/null
h=$(cat "$T/g.html")
[[ $h == '<!DOCTYPE html>'* ]] || fail "html doctype"
grep -q '<svg' <<<"$h" || fail "no inline svg"
grep -q '<title>stray:vstray</title>' <<<"$h" || fail "drawing not inline"
grep -q '<h2>Legend</h2>' <<<"$h" || fail "no legend"
grep -q '<tr class="bad"><td>stray link</td><td>vstray</td>' <<<"$h" || fail "stray row not marked"
grep -q "<tr><td>container</td><td>c3</td>" <<<"$h" || fail "c3 row"
grep -Eq '<script|<link|src=|url\(' <<<"$h" && fail "html refers to external assets"
ok "HTML page: inline SVG, legend, table with the broken rows marked"

# A real browser loads it without a console error and takes a screenshot.
if need chromium chromium; then
  timeout 90 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$T/chromium" \
    --enable-logging=stderr --v=0 --window-size=1400,1600 --screenshot="$T/g.png" \
    "file://$T/g.html" 2>"$T/chromium.log" || fail "chromium: $(tail -3 "$T/chromium.log")"
  [[ -s $T/g.png ]] || fail "no screenshot"
  [[ $(head -c 8 "$T/g.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "screenshot is not a PNG"
  grep -E 'CONSOLE|Uncaught|Failed to load resource' "$T/chromium.log" && fail "console errors loading the page"
  dom=$(timeout 90 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$T/chromium" \
    --dump-dom "file://$T/g.html" 2>/dev/null)
  grep -q '<title>if:c4:eth0</title>' <<<"$dom" || fail "chromium's DOM lacks the drawing"
  ok "chromium loads the page without a console error; screenshot $(stat -c %s "$T/g.png") bytes"
fi

# A command killed before it recorded its container leaves weft's namespace
# (with weft's ownership marker) and a tagged veth on the bridge: both red.
# graph only reads: it does not clean up behind the dead command.
WEFT_FAULT=record-container:kill weft create k --network back >/dev/null 2>&1 && fail "fault did not kill"
j=$(weft graph --json)
jq -e '.unknown_namespaces[] | select(.name == "k") | .weft_marker and (.problems | index("made by weft for a container its store does not know") != null)' <<<"$j" >/dev/null ||
  fail "namespace k: $(jq -c .unknown_namespaces <<<"$j")"
kveth=$(jq -r '.stray_links[] | select(.peer_netns == "k") | .name' <<<"$j")
[[ -n $kveth && $(jq -r .out_of_step <<<"$j") == 5 ]] || fail "k's veth as a stray: $(jq -c .stray_links <<<"$j")"
weft graph >"$T/k.dot"
grep -E '^ *"netns:k" \[' "$T/k.dot" | has 'color="red"' || fail "netns:k not red"
grep -q "\"stray:$kveth\" -- \"netns:k\" \[color=\"red\"" "$T/k.dot" || fail "stray $kveth -- netns:k edge"
ip netns list | has -w k || fail "graph cleaned up namespace k"
[[ -e $WEFT_STATE_DIR/pending ]] || fail "graph cleared the pending marker"
ok "a dead create's namespace (weft's marker) and veth are red; graph left them alone"

# WEFT_GRAPH_KEEP=DIR keeps the drawings to look at.
if [[ -n ${WEFT_GRAPH_KEEP:-} ]]; then cp "$T"/g.svg "$T"/g.html "$T"/back.dot "$WEFT_GRAPH_KEEP"/ && { cp "$T"/g.png "$WEFT_GRAPH_KEEP"/ 2>/dev/null || true; }; fi
ok "160-graph"
