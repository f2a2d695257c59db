#!/usr/bin/env python3
"""bench/services: weft services on one host (issue #14, item 6), in one run.
Must run inside tests/sandbox (the sandbox plays the host; nothing touches the
machine's own network, and every connection goes to an address in a namespace
made here).

Layout, built here: weft network `front` (10.89.0.0/16), a client container
`client`, N backend containers b1..bN (BENCH_SVC_BACKENDS' largest size,
default 1000; a Linux bridge takes at most 1024 ports), three failover
backends f1..f3, and an "outside" namespace on the uplink (host 198.51.100.1,
outside 198.51.100.2), as tests/e2e/lib.sh's make_outside does. Every pair
of talkers gets permanent neighbour entries (static_neighbours says why: with
~1000 ports on one bridge, the kernel drops ARP answers, and its ARP table
is capped machine-wide; both are sysctls of the machine, left alone here).

Measured:
 1. Connection rate through a VIP with 1, 100 and N backends, against the
    rate to one backend's own address, from the client container. Every
    backend accepts: one server process (pinned to BENCH_SVC_SERVER_CPU, 1)
    holds a listening socket in each of the N backends' namespaces (made with
    setns; a socket stays in the namespace it was made in) and accepts and
    closes on all of them from one epoll loop, so 1000 backends do not need
    1000 processes. The client (pinned to BENCH_SVC_CLIENT_CPU, 0) is a Python
    loop of blocking connect() + close() with SO_LINGER 0 (an RST, so no
    TIME_WAIT and no port exhaustion): each iteration is one full TCP
    handshake through the path measured. Sending, DNAT, bridging and the
    backend's SYN-ACK all run in softirq on the client's core, so the rate is
    the cost of the whole path plus the Python loop (the same in every case).
    The services use `--health none` (N probes a second would load the
    machine). BENCH_SVC_SECONDS (3) per measurement, BENCH_SVC_ROUNDS (5)
    rounds with the cases interleaved; the median over rounds is reported,
    and the ratios of medians. Direct connections cross the bridge at L2
    only; the VIP's are routed through the host (DNAT, conntrack, and the
    masquerade a same-network client gets), which is what a VIP costs.
    At the end, the 1-backend VIP again with 1000 services defined.
 2. Time to apply one backend change: `weft service rm-backend` and
    `add-backend` of one backend of a service with two backends, wall time of
    the command and the `apply-firewall` step's own time from `weft --debug`,
    BENCH_SVC_TOGGLES (10) times each, with 1 service defined and with
    BENCH_SVC_SERVICES (1000), each `--health none --port 80` with two
    backends; creating them is timed too.
 3. Failover: service `web` over f1..f3, `--health tcp --health-interval
    200ms --health-fall 2`, each backend's server (one process per backend)
    answering its name; a client connects every 10 ms and records who
    answered. One server is killed (SIGKILL) BENCH_SVC_FAILOVERS (5) times
    (f1, f2, f3, f1, ...): from the kill to the last connection sent to it
    (refused), to weftd's record of it leaving rotation (inspect's
    last_change_unix_ms), and to `weft service inspect` showing it out
    (polled). The server is then restarted and let back in.
 4. The published port 8080:80 of `web`: from the outside namespace to
    198.51.100.1:8080, the address the backend sees.
 5. Rules in `nft -j list table inet weft` with 1 and with 1000 services:
    rules of the base chains (those with a hook), all rules, chains, sets and
    maps, and map/set elements.

Environment: WEFT (path to weft; weftd next to it), BENCH_SVC_BACKENDS
("1,100,1000"), BENCH_SVC_SERVICES (1000), BENCH_SVC_SECONDS, BENCH_SVC_ROUNDS,
BENCH_SVC_TOGGLES, BENCH_SVC_FAILOVERS, BENCH_OUT (write the results there as
JSON).

Subcommands (run inside namespaces by the script itself):
  serve-many PORT NETNS-PATH...   listeners in many namespaces, accept+close
  serve-name NAME PORT            answers "NAME PEER-ADDRESS\\n" and closes
  rate ADDR PORT SECONDS          connect+close loop, prints JSON
  probe ADDR PORT SECONDS         one connection every 10 ms, prints JSON
  ask ADDR PORT                   one connection, prints the answer
"""
import ctypes
import json
import os
import re
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.abspath(__file__)
NETNS_DIR = os.environ.get("WEFT_NETNS_DIR", "/run/netns")
SIZES = [int(x) for x in os.environ.get("BENCH_SVC_BACKENDS", "1,100,1000").split(",")]
SERVICES = int(os.environ.get("BENCH_SVC_SERVICES", "1000"))
SECONDS = float(os.environ.get("BENCH_SVC_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_SVC_ROUNDS", "5"))
TOGGLES = int(os.environ.get("BENCH_SVC_TOGGLES", "10"))
FAILOVERS = int(os.environ.get("BENCH_SVC_FAILOVERS", "5"))
CLIENT_CPU = os.environ.get("BENCH_SVC_CLIENT_CPU", "0")
SERVER_CPU = os.environ.get("BENCH_SVC_SERVER_CPU", "1")
INTERVAL_MS, FALL = 200, 2
PORT, PUBLISHED = 80, 8080
HOST_UPLINK, OUTSIDE = "198.51.100.1", "198.51.100.2"
GOAL_RATIO, GOAL_CHANGE_MS = 0.9, 10.0
CLONE_NEWNET = 0x40000000
STATIC = {}


# ---- helpers run inside namespaces ----

def serve_many_main(port, paths):
    """A listening socket on PORT in each namespace, accept+close on all."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    ep = select.epoll()
    socks = {}
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            sys.exit(f"serve-many: setns {p}: {os.strerror(ctypes.get_errno())}")
        os.close(fd)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(4096)
        s.setblocking(False)
        socks[s.fileno()] = s
        ep.register(s.fileno(), select.EPOLLIN)
    libc.setns(own, CLONE_NEWNET)
    print("ready", flush=True)
    while True:
        for fd, _ in ep.poll():
            s = socks[fd]
            while True:
                try:
                    c, _ = s.accept()
                except (BlockingIOError, ConnectionAbortedError):
                    break
                c.close()


def serve_name_main(name, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(512)
    print("ready", flush=True)
    while True:
        c, peer = s.accept()
        try:
            c.sendall(f"{name} {peer[0]}\n".encode())
        except OSError:
            pass
        c.close()


def rate_main(addr, port, seconds):
    linger = struct.pack("ii", 1, 0)
    target = (addr, port)
    ok = refused = 0
    clock = time.perf_counter
    t0 = os.times()
    start = clock()
    end = start + seconds
    i = 0
    while True:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        try:
            s.connect(target)
            ok += 1
        except ConnectionRefusedError:
            refused += 1
        s.close()
        i += 1
        if i & 63 == 0 and clock() >= end:
            break
    wall = clock() - start
    t1 = os.times()
    print(json.dumps({"connects": ok, "refused": refused, "seconds": wall,
                      "rate": ok / wall, "user_s": t1.user - t0.user,
                      "sys_s": t1.system - t0.system}))


def probe_main(addr, port, seconds):
    """One connection every 10 ms; who answered, when (time.time())."""
    out = []
    end = time.time() + seconds
    nxt = time.time()
    while True:
        now = time.time()
        if now >= end:
            break
        if now < nxt:
            time.sleep(nxt - now)
        nxt += 0.01
        t = time.time()
        try:
            data = read_all(addr, port, 1.0)
            who = data.decode().split()[0] if data else "empty"
        except ConnectionRefusedError:
            who = "refused"
        except OSError as e:
            who = f"error:{e.__class__.__name__}"
        out.append((t, who))
    print(json.dumps(out))


def read_all(addr, port, timeout):
    """Connects and reads until the server closes."""
    with socket.create_connection((addr, port), timeout=timeout) as s:
        data = b""
        while True:
            d = s.recv(100)
            if not d:
                return data
            data += d


def ask_main(addr, port):
    print(read_all(addr, port, 3).decode().strip())


# ---- helpers for the host ----

def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"bench/services: {' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def weft(*args):
    return run([WEFT, *args])


def timed_weft(*args, debug=False, cpu=None):
    """Wall ms of one weft command; with debug, also each step's µs; with a
    list as cpu, the command's own CPU ms (user + system) appended to it."""
    cmd = [WEFT, "--debug", *args] if debug else [WEFT, *args]
    t0 = time.perf_counter_ns()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    dt = (time.perf_counter_ns() - t0) / 1e6
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"bench/services: {' '.join(cmd)} failed: {err.strip()}")
    if cpu is not None:
        cpu.append((ru.ru_utime + ru.ru_stime) * 1000)
    steps = {}
    for m in re.finditer(r"applied (\S+) in (\d+) us", err):
        steps[m.group(1)] = steps.get(m.group(1), 0) + int(m.group(2))
    return dt, steps


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def med(xs):
    return round(statistics.median(xs), 3) if xs else None


def p_max(xs):
    return round(max(xs), 3) if xs else None


def in_ns(ns, *cmd):
    return ["ip", "netns", "exec", ns, *cmd]


def inspect(svc):
    return json.loads(weft("service", "inspect", svc))


def wait_rotation(svc, want, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        n = sum(1 for b in inspect(svc)["backends"] if b["in_rotation"])
        if n == want:
            return
        time.sleep(0.05)
    sys.exit(f"bench/services: {svc}: want {want} in rotation: {inspect(svc)}")


def wait_ready(proc, what):
    line = proc.stdout.readline()
    if line.strip() != "ready":
        sys.exit(f"bench/services: {what} did not start: {line!r}")


def make_outside():
    run(["ip", "netns", "add", "outside"])
    run(["ip", "link", "add", "uplink0", "type", "veth", "peer", "name", "eth0", "netns", "outside"])
    run(["ip", "addr", "add", f"{HOST_UPLINK}/24", "dev", "uplink0"])
    run(["ip", "link", "set", "uplink0", "up"])
    run(["ip", "-n", "outside", "link", "set", "lo", "up"])
    run(["ip", "-n", "outside", "addr", "add", f"{OUTSIDE}/24", "dev", "eth0"])
    run(["ip", "-n", "outside", "link", "set", "eth0", "up"])
    run(["ip", "route", "add", "default", "via", OUTSIDE])


def rule_count():
    doc = json.loads(run(["nft", "-j", "list", "table", "inet", "weft"]))["nftables"]
    base, per_chain, chains, sets, elems, rules = [], {}, 0, 0, 0, 0
    for o in doc:
        if "chain" in o:
            chains += 1
            if "hook" in o["chain"]:
                base.append(o["chain"]["name"])
        elif "rule" in o:
            rules += 1
            per_chain[o["rule"]["chain"]] = per_chain.get(o["rule"]["chain"], 0) + 1
        elif "set" in o or "map" in o:
            sets += 1
            elems += len((o.get("set") or o.get("map")).get("elem", []))
    base_rules = {c: per_chain.get(c, 0) for c in sorted(base)}
    return {"base_chain_rules": base_rules, "base_rules_total": sum(base_rules.values()),
            "rules": rules, "chains": chains, "sets_and_maps": sets, "elements": elems}


def rate(kind, addr, seconds):
    out = run(["taskset", "-c", CLIENT_CPU, *in_ns("client", sys.executable, HERE, "rate",
                                                    addr, str(PORT), str(seconds))])
    r = json.loads(out)
    if r["refused"]:
        sys.exit(f"bench/services: {kind}: {r['refused']} connections refused: {r}")
    return r


def toggles(svc, backend, n):
    """rm-backend then add-backend of one backend, n times each."""
    res = {"rm_ms": [], "add_ms": [], "rm_fw_us": [], "add_fw_us": [], "rm_cpu_ms": [],
           "add_cpu_ms": []}
    for _ in range(n):
        dt, steps = timed_weft("service", "rm-backend", svc, backend, debug=True,
                               cpu=res["rm_cpu_ms"])
        res["rm_ms"].append(dt)
        res["rm_fw_us"].append(steps.get("apply-firewall"))
        dt, steps = timed_weft("service", "add-backend", svc, backend, debug=True,
                               cpu=res["add_cpu_ms"])
        res["add_ms"].append(dt)
        res["add_fw_us"].append(steps.get("apply-firewall"))
    # The change reached the kernel: the service's chain picks among 2 again.
    chain = run(["nft", "list", "chain", "inet", "weft", f"svc-{svc}-tcp-{PORT}"])
    if "numgen random mod 2" not in chain:
        sys.exit(f"bench/services: {svc} does not pick among 2 after the toggles: {chain}")
    summ = {"rm_median_ms": med(res["rm_ms"]), "rm_max_ms": p_max(res["rm_ms"]),
            "add_median_ms": med(res["add_ms"]), "add_max_ms": p_max(res["add_ms"]),
            "rm_apply_firewall_median_ms": med([u / 1000 for u in res["rm_fw_us"] if u]),
            "add_apply_firewall_median_ms": med([u / 1000 for u in res["add_fw_us"] if u]),
            "rm_cpu_median_ms": med(res["rm_cpu_ms"]), "add_cpu_median_ms": med(res["add_cpu_ms"]),
            "raw": res}
    return summ


# ---- the phases ----

def phase_containers(n):
    weft("network", "create", "front", "--subnet", "10.89.0.0/16")
    weft("create", "client", "--network", "front")
    for f in ("f1", "f2", "f3"):
        weft("create", f, "--network", "front")
    times = []
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        times.append(timed_weft("create", f"b{i}", "--network", "front")[0])
    total = time.perf_counter() - t0
    return {"n": n, "total_s": round(total, 2), "median_ms": med(times),
            "first50_mean_ms": round(statistics.mean(times[:50]), 2),
            "last50_mean_ms": round(statistics.mean(times[-50:]), 2)}


def addr_of(c):
    return inspect_container(c)


def inspect_container(c):
    out = run(["ip", "-n", c, "-j", "-4", "addr", "show", "dev", "eth0"])
    return json.loads(out)[0]["addr_info"][0]["local"]


def static_neighbours(n):
    """Permanent neighbour entries for every pair of talkers: the host and
    each container (client, f1..f3, b1..bn) both ways, the client and b1 both
    ways (the direct case), and the client and each VIP (pin_vip).

    Two limits of the kernel, not weft's, make 1000 containers on one bridge
    unusable without them, and both are machine-wide sysctls this run must not
    change (they belong to the machine's own network namespace):
    - An ARP request is flooded by the bridge to every port; each copy enters
      the per-CPU backlog through the veth (net.core.netdev_max_backlog, 1000
      here), and with ~1000 ports the answer is dropped with the flood: a
      container cannot resolve its gateway at all (measured: 800 containers
      work, 1000 do not).
    - The ARP table is one for all network namespaces and gc_thresh3 (1024)
      caps its dynamic entries; 1000 backends need ~2000.
    Permanent entries need no broadcast and are exempt from the cap (Linux >=
    5.0). A host with this many containers on one bridge would raise both
    sysctls instead."""
    net = json.loads(weft("network", "inspect", "front"))
    bridge, gw = net["bridge"], net["subnets"][0]["gateway"]
    br_mac = json.loads(run(["ip", "-j", "link", "show", "dev", bridge]))[0]["address"]
    STATIC.update(bridge=bridge, bridge_mac=br_mac)
    names = ["client", "f1", "f2", "f3"] + [f"b{i}" for i in range(1, n + 1)]
    lines, macs = [], {}
    for c in names:
        link = json.loads(run(["ip", "-n", c, "-j", "addr", "show", "dev", "eth0"]))[0]
        v4 = [a["local"] for a in link["addr_info"] if a["family"] == "inet"][0]
        macs[c] = (v4, link["address"])
        lines.append(f"neigh replace {v4} lladdr {link['address']} dev {bridge} nud permanent")
        neigh(c, gw, br_mac)
    run(["ip", "-batch", "-"], input="\n".join(lines) + "\n")
    neigh("client", *macs["b1"])
    neigh("b1", *macs["client"])
    return {"bridge": bridge, "bridge_mac": br_mac, "containers": len(names)}


def neigh(ns, addr, mac):
    run(["ip", "-n", ns, "neigh", "replace", addr, "lladdr", mac, "dev", "eth0", "nud", "permanent"])


def pin_vip(vip):
    """The client's permanent entry for a VIP (the host answers for it)."""
    neigh("client", vip, STATIC["bridge_mac"])


def dynamic_neighbours():
    """Dynamic neighbour entries of the host and the client (not permanent)."""
    return sum(1 for ns in ([], ["-n", "client"])
               for e in json.loads(run(["ip", *ns, "-j", "neigh", "show"]))
               if "PERMANENT" not in e.get("state", []))


def phase_rate(n):
    server = subprocess.Popen(
        ["taskset", "-c", SERVER_CPU, sys.executable, HERE, "serve-many", str(PORT),
         *[f"{NETNS_DIR}/b{i}" for i in range(1, n + 1)]],
        stdout=subprocess.PIPE, text=True)
    wait_ready(server, "serve-many")
    vips, create_ms = {}, {}
    for size in SIZES:
        svc = f"r{size}"
        backends = [a for i in range(1, size + 1) for a in ("--backend", f"b{i}")]
        create_ms[size] = round(timed_weft("service", "create", svc, "--network", "front",
                                           "--port", str(PORT), "--health", "none",
                                           *backends)[0], 1)
        vips[size] = inspect(svc)["vip"]
        pin_vip(vips[size])
        chain = run(["nft", "list", "chain", "inet", "weft", f"svc-{svc}-tcp-{PORT}"])
        if size > 1 and f"numgen random mod {size} " not in chain:
            sys.exit(f"bench/services: {svc} does not pick among {size}: {chain[:300]}")
    direct = addr_of("b1")
    br_mac = json.loads(run(["ip", "-j", "link", "show", "dev",
                             json.loads(weft("network", "inspect", "front"))["bridge"]]))[0]["address"]
    if br_mac != STATIC["bridge_mac"]:
        sys.exit(f"bench/services: the bridge's MAC changed ({STATIC['bridge_mac']} -> {br_mac})")
    cases = [("direct", direct)] + [(f"vip{s}", vips[s]) for s in SIZES]
    # Warm up: neighbours (the host's to every backend), conntrack, caches.
    for kind, addr in cases:
        rate(kind, addr, 1.0 if kind != f"vip{max(SIZES)}" else 2.0)
    neigh_before = dynamic_neighbours()
    rates = {k: [] for k, _ in cases}
    raw = {k: [] for k, _ in cases}
    for rnd in range(ROUNDS):
        order = cases if rnd % 2 == 0 else list(reversed(cases))
        for kind, addr in order:
            r = rate(kind, addr, SECONDS)
            rates[kind].append(r["rate"])
            raw[kind].append(r)
    res = {"cases": {k: {"median_per_s": round(statistics.median(v)),
                         "rounds_per_s": [round(x) for x in v],
                         "client_cpu_us_per_conn": round(1e6 * statistics.median(
                             [(x["user_s"] + x["sys_s"]) / x["connects"] for x in raw[k]]), 2)}
                     for k, v in rates.items()},
           "service_create_ms": create_ms,
           "dynamic_neighbours_host_and_client": [neigh_before, dynamic_neighbours()]}
    m = {k: statistics.median(v) for k, v in rates.items()}
    base1 = m["vip1"] if "vip1" in m else None
    res["ratios"] = {}
    for s in SIZES:
        k = f"vip{s}"
        res["ratios"][k] = {"vs_direct": round(m[k] / m["direct"], 3),
                            "vs_vip1": round(m[k] / base1, 3) if base1 else None,
                            "added_us_per_conn_vs_direct": round(1e6 / m[k] - 1e6 / m["direct"], 1)}
    # Remove the rate services (the biggest one timed).
    for s in SIZES:
        dt = timed_weft("service", "rm", f"r{s}")[0]
        if s == max(SIZES):
            res["service_rm_ms_largest"] = round(dt, 1)
    return res, server


def phase_failover():
    servers = {}

    def start(f):
        p = subprocess.Popen(in_ns(f, sys.executable, HERE, "serve-name", f, str(PORT)),
                             stdout=subprocess.PIPE, text=True)
        wait_ready(p, f"server in {f}")
        servers[f] = p

    for f in ("f1", "f2", "f3"):
        start(f)
    weft("service", "create", "web", "--network", "front", "--port", str(PORT),
         "--publish", f"{PUBLISHED}:{PORT}", "--health", "tcp",
         "--health-interval", f"{INTERVAL_MS}ms", "--health-fall", str(FALL),
         "--backend", "f1", "--backend", "f2", "--backend", "f3")
    wait_rotation("web", 3)
    vip = inspect("web")["vip"]
    pin_vip(vip)

    # 4. Published port: who the backend sees, from outside and from the client.
    seen_out = [run(in_ns("outside", sys.executable, HERE, "ask", HOST_UPLINK, str(PUBLISHED))).split()
                for _ in range(6)]
    seen_in = [run(in_ns("client", sys.executable, HERE, "ask", vip, str(PORT))).split()
               for _ in range(3)]
    published = {"outside_client": OUTSIDE,
                 "seen_by_backend_via_8080": sorted({s[1] for s in seen_out}),
                 "backends_reached": sorted({s[0] for s in seen_out}),
                 "seen_by_backend_from_same_network_client": sorted({s[1] for s in seen_in}),
                 "client_address": addr_of("client")}
    published["keeps_client_address"] = published["seen_by_backend_via_8080"] == [OUTSIDE]

    # 3. Failover: a client probing every 10 ms throughout.
    probe_s = 4 + FAILOVERS * 3.5
    probe = subprocess.Popen(["taskset", "-c", CLIENT_CPU,
                              *in_ns("client", sys.executable, HERE, "probe", vip, str(PORT),
                                     str(probe_s))],
                             stdout=subprocess.PIPE, text=True)
    t_probe = time.time()
    time.sleep(1.0)
    events = []
    for k in range(FAILOVERS):
        f = ("f1", "f2", "f3")[k % 3]
        t_kill = time.time()
        servers[f].send_signal(signal.SIGKILL)
        servers[f].wait()
        t_seen = None
        while time.time() - t_kill < 10:
            b = [x for x in inspect("web")["backends"] if x["container"] == f][0]
            if not b["in_rotation"]:
                t_seen = time.time()
                break
            time.sleep(0.005)
        if t_seen is None:
            sys.exit(f"bench/services: {f} still in rotation 10 s after its server died")
        events.append({"backend": f, "t_kill": t_kill, "t_inspect": t_seen,
                       "t_recorded": b["last_change_unix_ms"] / 1000, "reason": b["last_change"]})
        time.sleep(0.5)
        events[-1]["t_restart"] = time.time()
        start(f)
        wait_rotation("web", 3)
        events[-1]["t_back"] = time.time()
        time.sleep(0.8)
    if time.time() > t_probe + probe_s:
        sys.exit("bench/services: the failover probe ended too early")
    seen = json.loads(probe.communicate()[0])
    runs = []
    for ev in events:
        window = [(t, w) for t, w in seen if ev["t_kill"] <= t < ev["t_back"]]
        bad = [t for t, w in window if w != ev["backend"] and w not in ("f1", "f2", "f3")]
        reached = [t for t, w in window if w == ev["backend"] and t < ev["t_restart"]]
        last_bad = max(bad) if bad else None
        runs.append({
            "backend": ev["backend"],
            "kill_to_last_failed_conn_ms": round((last_bad - ev["t_kill"]) * 1000, 1) if bad else 0.0,
            "failed_conns": len(bad),
            "conns_in_window": len(window),
            "answered_by_killed_backend_before_restart": len(reached),
            "kill_to_recorded_out_ms": round((ev["t_recorded"] - ev["t_kill"]) * 1000, 1),
            "kill_to_inspect_out_ms": round((ev["t_inspect"] - ev["t_kill"]) * 1000, 1),
            "failed_after_recorded_out": len([t for t in bad if t > ev["t_recorded"] + 0.001]),
            "reason": ev["reason"]})
    before = [w for t, w in seen if t < events[0]["t_kill"]]
    fo = {"interval_ms": INTERVAL_MS, "fall": FALL, "runs": runs,
          "goal_ms": FALL * INTERVAL_MS,
          "probes_before_first_kill": {w: before.count(w) for w in sorted(set(before))}}
    for key in ("kill_to_last_failed_conn_ms", "kill_to_recorded_out_ms", "kill_to_inspect_out_ms"):
        xs = [r[key] for r in runs]
        fo[key] = {"median": med(xs), "max": p_max(xs)}
    weft("service", "rm", "web")
    for p in servers.values():
        p.kill()
    return fo, published


def phase_services(n_backends):
    """1 service, then SERVICES: rule counts and one backend change's time."""
    res = {}

    def create(i):
        a = f"b{i % n_backends + 1}"
        b = f"b{(i + 1) % n_backends + 1}"
        return timed_weft("service", "create", f"s{i:04d}", "--network", "front", "--port",
                          str(PORT), "--health", "none", "--backend", a, "--backend", b)[0]

    cpu = []
    res["weft_version_ms"] = med([timed_weft("--version", cpu=cpu)[0] for _ in range(TOGGLES)])
    res["weft_version_cpu_ms"] = med(cpu)
    create(0)
    res["rules_1"] = rule_count()
    res["change_1"] = toggles("s0000", f"b{1 % n_backends + 1}", TOGGLES)
    t0 = time.perf_counter()
    times = [create(i) for i in range(1, SERVICES)]
    times = times or [0.0]
    res["create"] = {"n": SERVICES - 1, "total_s": round(time.perf_counter() - t0, 2),
                     "median_ms": med(times),
                     "first50_mean_ms": round(statistics.mean(times[:50]), 2),
                     "last50_mean_ms": round(statistics.mean(times[-50:]), 2)}
    res["rules_n"] = rule_count()
    res["change_n"] = toggles("s0000", f"b{1 % n_backends + 1}", TOGGLES)
    mid = f"s{SERVICES // 2:04d}"
    res["change_n_middle_service"] = toggles(mid, f"b{(SERVICES // 2 + 1) % n_backends + 1}",
                                             max(3, TOGGLES // 2))
    res["n_services"] = len(json.loads(weft("service", "ls", "--json")))
    return res


def phase_rate_many_services():
    """The 1-backend VIP again, with SERVICES others defined."""
    weft("service", "create", "r1", "--network", "front", "--port", str(PORT),
         "--health", "none", "--backend", "b1")
    vip = inspect("r1")["vip"]
    pin_vip(vip)
    direct = addr_of("b1")
    rate("direct", direct, 1.0)
    rate("vip1", vip, 1.0)
    d, v = [], []
    for _ in range(3):
        d.append(rate("direct", direct, SECONDS)["rate"])
        v.append(rate("vip1", vip, SECONDS)["rate"])
    return {"direct_median_per_s": round(statistics.median(d)),
            "vip1_median_per_s": round(statistics.median(v)),
            "vip1_vs_direct": round(statistics.median(v) / statistics.median(d), 3),
            "rounds": 3}


def main():
    global WEFT
    WEFT = os.environ["WEFT"]
    if not os.environ.get("WEFT_SANDBOX"):
        sys.exit("bench/services: run inside tests/sandbox")
    n = max(SIZES)
    if n > 1000:
        sys.exit("bench/services: at most 1000 backends (a bridge holds 1024 ports)")
    t_start = time.time()
    load0 = loadavg()
    results = {"loadavg_before": load0, "sizes": SIZES, "seconds": SECONDS, "rounds": ROUNDS}
    try:
        with open("/proc/sys/net/bridge/bridge-nf-call-iptables") as f:
            results["bridge_nf_call_iptables"] = f.read().strip()
    except OSError:
        results["bridge_nf_call_iptables"] = "absent (br_netfilter not loaded)"
    make_outside()
    print(f"creating {n} backend containers ...", flush=True)
    results["containers"] = phase_containers(n)
    c = results["containers"]
    print(f"  {n} containers in {c['total_s']} s (median {c['median_ms']} ms, "
          f"first 50 {c['first50_mean_ms']} ms, last 50 {c['last50_mean_ms']} ms)", flush=True)

    results["static_neighbours"] = static_neighbours(n)
    print("1. connection rate ...", flush=True)
    results["rate"], server = phase_rate(n)
    print("3/4. failover and the published port ...", flush=True)
    results["failover"], results["published"] = phase_failover()
    print(f"2/5. 1 then {SERVICES} services ...", flush=True)
    results["services"] = phase_services(n)
    print("1b. connection rate with the services defined ...", flush=True)
    results["rate_with_services"] = phase_rate_many_services()
    server.kill()
    results["loadavg_after"] = loadavg()
    results["wall_s"] = round(time.time() - t_start, 1)

    # ---- summary ----
    r = results["rate"]
    print()
    busy = "  -- the machine was busy with other work: figures are noisy" if load0 > 1.0 else ""
    print(f"load before {load0}, after {results['loadavg_after']}; run took "
          f"{results['wall_s']} s{busy}")
    print(f"1. TCP connects/s from the client container (median of {ROUNDS} x {SECONDS:g} s; "
          f"every backend accepts; --health none):")
    print(f"   {'case':10} {'conn/s':>8}  {'vs direct':>9}  {'vs 1 backend':>12}  "
          f"{'+us/conn':>8}  rounds")
    for k, v in r["cases"].items():
        rt = r["ratios"].get(k, {})
        print(f"   {k:10} {v['median_per_s']:>8}  {rt.get('vs_direct', 1.0):>9}  "
              f"{str(rt.get('vs_vip1', '-')):>12}  {str(rt.get('added_us_per_conn_vs_direct', '-')):>8}  "
              f"{v['rounds_per_s']}")
    last = f"vip{n}"
    g1 = r["ratios"][last]["vs_vip1"]
    g2 = min(x["vs_direct"] for x in r["ratios"].values())
    print(f"   goal >= {GOAL_RATIO} of 1 backend's rate with {n}: {g1} "
          f"({'met' if g1 and g1 >= GOAL_RATIO else 'NOT met'}); >= {GOAL_RATIO} of direct: "
          f"lowest {g2} ({'met' if g2 >= GOAL_RATIO else 'NOT met'})")
    rs = results["rate_with_services"]
    print(f"   with {SERVICES} services defined: vip1 {rs['vip1_median_per_s']}/s, direct "
          f"{rs['direct_median_per_s']}/s, ratio {rs['vip1_vs_direct']}")
    print(f"   service create with {n} backends: {r['service_create_ms'][n]} ms; rm: "
          f"{r['service_rm_ms_largest']} ms")
    s = results["services"]
    print(f"2. one backend change (median of {TOGGLES}; command wall time / apply-firewall step):")
    for label, key in (("1 service", "change_1"), (f"{SERVICES} services", "change_n"),
                       (f"{SERVICES} services, a middle one", "change_n_middle_service")):
        ch = s[key]
        print(f"   {label:28} rm-backend {ch['rm_median_ms']} ms / {ch['rm_apply_firewall_median_ms']} ms"
              f"   add-backend {ch['add_median_ms']} ms / {ch['add_apply_firewall_median_ms']} ms"
              f"   (max {ch['rm_max_ms']} / {ch['add_max_ms']} ms; CPU {ch['rm_cpu_median_ms']} / "
              f"{ch['add_cpu_median_ms']} ms)")
    print(f"   for scale: `weft --version` takes {s['weft_version_ms']} ms (CPU {s['weft_version_cpu_ms']} ms)")
    worst = max(s["change_n"]["rm_median_ms"], s["change_n"]["add_median_ms"])
    print(f"   goal <= {GOAL_CHANGE_MS:g} ms with {SERVICES} services: command {worst} ms "
          f"({'met' if worst <= GOAL_CHANGE_MS else 'NOT met'}); nft step "
          f"{max(s['change_n']['rm_apply_firewall_median_ms'], s['change_n']['add_apply_firewall_median_ms'])} ms")
    cr = s["create"]
    print(f"   creating {cr['n']} services: {cr['total_s']} s (median {cr['median_ms']} ms, "
          f"first 50 {cr['first50_mean_ms']} ms, last 50 {cr['last50_mean_ms']} ms)")
    fo = results["failover"]
    print(f"3. failover ({FAILOVERS} kills, --health tcp --health-interval {INTERVAL_MS}ms "
          f"--health-fall {FALL}; median / max):")
    for key in ("kill_to_last_failed_conn_ms", "kill_to_recorded_out_ms", "kill_to_inspect_out_ms"):
        print(f"   {key:30} {fo[key]['median']} / {fo[key]['max']} ms")
    print(f"   failed connections per kill: {[x['failed_conns'] for x in fo['runs']]} "
          f"(of {[x['conns_in_window'] for x in fo['runs']]}); after weftd recorded it out: "
          f"{sum(x['failed_after_recorded_out'] for x in fo['runs'])} (weftd records, then "
          f"changes the rules)")
    okf = fo["kill_to_last_failed_conn_ms"]["max"] <= fo["goal_ms"]
    print(f"   goal <= {fo['goal_ms']} ms (2 intervals; a refused probe has no timeout): "
          f"{'met' if okf else 'NOT met'} (max)")
    p = results["published"]
    print(f"4. outside {OUTSIDE} -> {HOST_UPLINK}:{PUBLISHED}: backends {p['backends_reached']} saw "
          f"{p['seen_by_backend_via_8080']} ({'client address kept' if p['keeps_client_address'] else 'NOT kept'}); "
          f"same-network client {p['client_address']} is seen as {p['seen_by_backend_from_same_network_client']}")
    r1, rn = s["rules_1"], s["rules_n"]
    print(f"5. nft table inet weft, 1 vs {s['n_services']} services:")
    print(f"   base-chain rules {r1['base_rules_total']} vs {rn['base_rules_total']} "
          f"({r1['base_chain_rules']} vs {rn['base_chain_rules']})")
    print(f"   rules {r1['rules']} vs {rn['rules']}, chains {r1['chains']} vs {rn['chains']}, "
          f"sets/maps {r1['sets_and_maps']} vs {rn['sets_and_maps']}, elements {r1['elements']} "
          f"vs {rn['elements']}")
    if os.environ.get("BENCH_OUT"):
        with open(os.environ["BENCH_OUT"], "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    sub = sys.argv[1] if len(sys.argv) > 1 else ""
    if sub == "serve-many":
        serve_many_main(int(sys.argv[2]), sys.argv[3:])
    elif sub == "serve-name":
        serve_name_main(sys.argv[2], int(sys.argv[3]))
    elif sub == "rate":
        rate_main(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif sub == "probe":
        probe_main(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif sub == "ask":
        ask_main(sys.argv[2], int(sys.argv[3]))
    else:
        main()
