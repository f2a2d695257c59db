#!/usr/bin/env python3
"""bench/attach: time per container attach and detach, weft against netavark
and the CNI bridge plugin, in the same run. BENCH_PLOT=FILE.svg also plots
each tool's attach time against N (gnuplot); BENCH_CONCURRENT=K also starts
K attaches at once, then K detaches, per tool: wall time, failures and (for
the tools that allocate addresses) duplicate addresses. "weft-cni" is weft
run as a CNI plugin, as the bridge plugin is run (namespaces made
beforehand, untimed, for both). Must run inside tests/sandbox
(the sandbox plays the host; nothing touches the machine's own network).

Each tool attaches N containers one after another to one bridge network with
IPv4 and outbound NAT, then detaches them. Reported: median and p99 per call,
and the ratio of the mean of the last 50 calls to the first 50 (growth as the
host fills up). weft's figure includes creating the namespace itself; for
netavark and CNI the namespace is made beforehand (untimed), as their callers
do, so the comparison favours them.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

WEFT = os.environ["WEFT"]
NETAVARK = "/usr/lib/podman/netavark"
CNI_DIR = "/usr/lib/cni"
NETNS_DIR = os.environ.get("WEFT_NETNS_DIR", "/run/netns")


def timed(cmd, stdin=None, env=None):
    t0 = time.perf_counter_ns()
    r = subprocess.run(cmd, input=stdin, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    dt = (time.perf_counter_ns() - t0) / 1e6
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed: {r.stderr.strip()}")
    return dt


def run(cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)


def stats(xs):
    xs = sorted(xs)
    p99 = xs[min(len(xs) - 1, int(round(0.99 * (len(xs) - 1))))]
    return {"median_ms": round(statistics.median(xs), 2), "p99_ms": round(p99, 2)}


def growth(xs):
    return round(statistics.mean(xs[-50:]) / statistics.mean(xs[:50]), 2)


def bench_weft(n, publish):
    run([WEFT, "network", "create", "benchnet", "--subnet", "10.90.0.0/16"])
    add, rm = [], []
    for i in range(n):
        extra = ["-p", f"{20000 + i}:80"] if publish else []
        add.append(timed([WEFT, "create", f"w{i}", "--network", "benchnet"] + extra))
    for i in range(n):
        rm.append(timed([WEFT, "rm", f"w{i}"]))
    run([WEFT, "network", "rm", "benchnet"])
    return add, rm


def netns_add(name):
    run(["ip", "netns", "add", name])


def netns_del(name):
    run(["ip", "netns", "del", name])


def bench_netavark(n, publish):
    cfg = tempfile.mkdtemp(prefix="netavark-")
    env = dict(os.environ, NETAVARK_FW="iptables")
    net_id = "a" * 64
    add, rm = [], []
    for i in range(n):
        netns_add(f"na{i}")
    for i in range(n):
        ip = f"10.91.{(i + 2) // 256}.{(i + 2) % 256}"
        conf = {
            "container_id": f"{i:064x}",
            "container_name": f"na{i}",
            "networks": {"benchnet": {"interface_name": "eth0", "static_ips": [ip]}},
            "network_info": {"benchnet": {
                "name": "benchnet", "id": net_id, "driver": "bridge",
                "network_interface": "navbr0",
                "subnets": [{"subnet": "10.91.0.0/16", "gateway": "10.91.0.1"}],
                "internal": False, "ipv6_enabled": False, "dns_enabled": False}},
        }
        if publish:
            conf["port_mappings"] = [{"host_ip": "", "container_port": 80,
                                      "host_port": 20000 + i, "range": 1, "protocol": "tcp"}]
        s = json.dumps(conf)
        add.append(timed([NETAVARK, "--config", cfg, "setup", f"{NETNS_DIR}/na{i}"], s, env))
        conf["_s"] = s
        bench_netavark.confs[i] = s
    for i in range(n):
        rm.append(timed([NETAVARK, "--config", cfg, "teardown", f"{NETNS_DIR}/na{i}"],
                        bench_netavark.confs[i], env))
    for i in range(n):
        netns_del(f"na{i}")
    return add, rm


bench_netavark.confs = {}


def bench_cni(n, publish):
    data = tempfile.mkdtemp(prefix="cni-")
    plugins = [{
        "type": "bridge", "bridge": "cnibr0", "isGateway": True, "ipMasq": True,
        "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.92.0.0/16"}]],
                 "routes": [{"dst": "0.0.0.0/0"}], "dataDir": data}}]
    if publish:
        plugins.append({"type": "portmap", "capabilities": {"portMappings": True}})
    add, rm = [], []
    for i in range(n):
        netns_add(f"cn{i}")

    def call(command, i):
        total = 0.0
        prev = None
        order = plugins if command == "ADD" else list(reversed(plugins))
        for p in order:
            conf = dict(p, cniVersion="1.0.0", name="benchnet")
            if p["type"] == "portmap":
                conf["runtimeConfig"] = {"portMappings": [
                    {"hostPort": 20000 + i, "containerPort": 80, "protocol": "tcp"}]}
            if prev is not None:
                conf["prevResult"] = prev
            env = dict(os.environ, CNI_COMMAND=command, CNI_CONTAINERID=f"cn{i}",
                       CNI_NETNS=f"{NETNS_DIR}/cn{i}", CNI_IFNAME="eth0", CNI_PATH=CNI_DIR)
            t0 = time.perf_counter_ns()
            r = subprocess.run([f"{CNI_DIR}/{p['type']}"], input=json.dumps(conf), env=env,
                               capture_output=True, text=True)
            total += (time.perf_counter_ns() - t0) / 1e6
            if r.returncode != 0:
                sys.exit(f"bench: cni {p['type']} {command} failed: {r.stdout}{r.stderr}")
            if command == "ADD":
                prev = json.loads(r.stdout)
        return total

    for i in range(n):
        add.append(call("ADD", i))
    for i in range(n):
        rm.append(call("DEL", i))
    for i in range(n):
        netns_del(f"cn{i}")
    return add, rm


def spawn_all(cmds, envs=None, stdins=None):
    """Starts every command at once; returns (wall ms, [(rc, stdout, stderr)])."""
    t0 = time.perf_counter_ns()
    procs = []
    for i, cmd in enumerate(cmds):
        p = subprocess.Popen(cmd, env=envs[i] if envs else None,
                             stdin=subprocess.PIPE if stdins else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if stdins:
            # At once, not when its turn to be read comes: a CNI plugin reads
            # its config from stdin before anything else (a config is far
            # smaller than a pipe's buffer, so this does not block).
            p.stdin.write(stdins[i])
            p.stdin.close()
            p.stdin = None  # communicate() below only reads
        procs.append(p)
    outs = []
    for p in procs:
        out, err = p.communicate()
        outs.append((p.returncode, out, err))
    return (time.perf_counter_ns() - t0) / 1e6, outs


def concurrent_weft(n):
    run([WEFT, "network", "create", "concnet", "--subnet", "10.93.0.0/16"])
    wall_add, outs = spawn_all([[WEFT, "create", f"k{i}", "--network", "concnet"] for i in range(n)])
    failed = sum(1 for rc, _, _ in outs if rc != 0)
    ps = json.loads(subprocess.run([WEFT, "--json", "ps"], capture_output=True, text=True,
                                   check=True).stdout)
    addrs = [e["ipv4"] for c in ps if c["name"].startswith("k") for e in c["networks"]]
    dup = len(addrs) - len(set(addrs))
    wall_rm, outs_rm = spawn_all([[WEFT, "rm", f"k{i}"] for i in range(n)])
    failed_rm = sum(1 for rc, _, _ in outs_rm if rc != 0)
    run([WEFT, "network", "rm", "concnet"])
    return {"attach_wall_ms": round(wall_add), "attach_failed": failed, "duplicate_addresses": dup,
            "detach_wall_ms": round(wall_rm), "detach_failed": failed_rm}


def concurrent_netavark(n):
    cfg = tempfile.mkdtemp(prefix="netavark-c-")
    env = dict(os.environ, NETAVARK_FW="iptables")
    confs = []
    for i in range(n):
        netns_add(f"nc{i}")
        confs.append(json.dumps({
            "container_id": f"{i + 1000:064x}", "container_name": f"nc{i}",
            "networks": {"concnet": {"interface_name": "eth0",
                                     "static_ips": [f"10.94.{(i + 2) // 256}.{(i + 2) % 256}"]}},
            "network_info": {"concnet": {
                "name": "concnet", "id": "c" * 64, "driver": "bridge",
                "network_interface": "navbr1",
                "subnets": [{"subnet": "10.94.0.0/16", "gateway": "10.94.0.1"}],
                "internal": False, "ipv6_enabled": False, "dns_enabled": False}}}))
    cmd = lambda verb, i: [NETAVARK, "--config", cfg, verb, f"{NETNS_DIR}/nc{i}"]
    wall_add, outs = spawn_all([cmd("setup", i) for i in range(n)], [env] * n, confs)
    failed = sum(1 for rc, _, _ in outs if rc != 0)
    wall_rm, outs_rm = spawn_all([cmd("teardown", i) for i in range(n)], [env] * n, confs)
    failed_rm = sum(1 for rc, _, _ in outs_rm if rc != 0)
    for i in range(n):
        netns_del(f"nc{i}")
    # (netavark takes addresses from its caller: podman's IPAM, not its own.)
    return {"attach_wall_ms": round(wall_add), "attach_failed": failed,
            "detach_wall_ms": round(wall_rm), "detach_failed": failed_rm}


def concurrent_cni(n):
    data = tempfile.mkdtemp(prefix="cni-c-")
    conf = json.dumps({"cniVersion": "1.0.0", "name": "concnet", "type": "bridge",
                       "bridge": "cnibr1", "isGateway": True, "ipMasq": True,
                       "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.95.0.0/16"}]],
                                "dataDir": data}})
    for i in range(n):
        netns_add(f"cc{i}")

    def envs(command):
        return [dict(os.environ, CNI_COMMAND=command, CNI_CONTAINERID=f"cc{i}",
                     CNI_NETNS=f"{NETNS_DIR}/cc{i}", CNI_IFNAME="eth0", CNI_PATH=CNI_DIR)
                for i in range(n)]

    cmds = [[f"{CNI_DIR}/bridge"]] * n
    wall_add, outs = spawn_all(cmds, envs("ADD"), [conf] * n)
    failed = sum(1 for rc, _, _ in outs if rc != 0)
    addrs = []
    for rc, out, _ in outs:
        if rc == 0:
            addrs += [ip["address"] for ip in json.loads(out).get("ips", [])]
    wall_rm, outs_rm = spawn_all(cmds, envs("DEL"), [conf] * n)
    failed_rm = sum(1 for rc, _, _ in outs_rm if rc != 0)
    for i in range(n):
        netns_del(f"cc{i}")
    return {"attach_wall_ms": round(wall_add), "attach_failed": failed,
            "duplicate_addresses": len(addrs) - len(set(addrs)),
            "detach_wall_ms": round(wall_rm), "detach_failed": failed_rm}


def plot(series, path):
    """Per-container attach time against N, one line per tool (gnuplot SVG)."""
    if not shutil.which("gnuplot"):
        print("bench: gnuplot is not installed (Debian gnuplot-nox): no plot", flush=True)
        return
    d = tempfile.mkdtemp(prefix="plot-")
    lines = []
    for name, xs in series.items():
        f = os.path.join(d, name.replace("/", "_") + ".dat")
        with open(f, "w") as out:
            for i, ms in enumerate(xs, 1):
                out.write(f"{i} {ms:.3f}\n")
        lines.append(f"'{f}' using 1:2 with lines title '{name}'")
    script = "\n".join([
        "set terminal svg size 900,500 dynamic font 'Helvetica,12'",
        f"set output '{path}'",
        "set title 'Attach time per container as the host fills up (one bridge network)'",
        "set xlabel 'container number N (attached one after another)'",
        "set ylabel 'attach time (ms)'",
        "set logscale y", "set key left top", "set grid",
        "plot " + ", ".join(lines)])
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    print(f"bench: plot written to {path}", flush=True)


def weft_cni_conf(network, subnet):
    return json.dumps({"cniVersion": "1.0.0", "name": network, "type": "weft",
                       "network": network, "subnet": subnet})


def weft_cni_env(command, container, netns):
    return dict(os.environ, CNI_COMMAND=command, CNI_CONTAINERID=container, CNI_NETNS=netns,
                CNI_IFNAME="eth0", CNI_PATH=CNI_DIR)


def bench_weft_cni(n, publish):
    """weft as a CNI plugin, called as the bridge plugin is (namespaces made
    beforehand, untimed, for both)."""
    if publish:
        return [], []
    conf = weft_cni_conf("wcninet", "10.96.0.0/16")
    for i in range(n):
        netns_add(f"wc{i}")
    add, rm = [], []
    for i in range(n):
        add.append(timed([WEFT], conf, weft_cni_env("ADD", f"wc{i}", f"{NETNS_DIR}/wc{i}")))
    for i in range(n):
        rm.append(timed([WEFT], conf, weft_cni_env("DEL", f"wc{i}", f"{NETNS_DIR}/wc{i}")))
    for i in range(n):
        netns_del(f"wc{i}")
    run([WEFT, "network", "rm", "wcninet"])
    return add, rm


def concurrent_weft_cni(n):
    conf = weft_cni_conf("wccnet", "10.97.0.0/16")
    for i in range(n):
        netns_add(f"wk{i}")
    envs = lambda cmd: [weft_cni_env(cmd, f"wk{i}", f"{NETNS_DIR}/wk{i}") for i in range(n)]
    wall_add, outs = spawn_all([[WEFT]] * n, envs("ADD"), [conf] * n)
    failed = sum(1 for rc, _, _ in outs if rc != 0)
    addrs = []
    for rc, out, _ in outs:
        if rc == 0:
            addrs += [ip["address"] for ip in json.loads(out).get("ips", [])]
    wall_rm, outs_rm = spawn_all([[WEFT]] * n, envs("DEL"), [conf] * n)
    failed_rm = sum(1 for rc, _, _ in outs_rm if rc != 0)
    for i in range(n):
        netns_del(f"wk{i}")
    run([WEFT, "network", "rm", "wccnet"])
    return {"attach_wall_ms": round(wall_add), "attach_failed": failed,
            "duplicate_addresses": len(addrs) - len(set(addrs)),
            "detach_wall_ms": round(wall_rm), "detach_failed": failed_rm}


def main():
    sizes = [int(x) for x in os.environ.get("BENCH_SIZES", "100,500").split(",")]
    publish = os.environ.get("BENCH_PUBLISH") == "1"
    tools = os.environ.get("BENCH_TOOLS", "weft,weft-cni,netavark,cni").split(",")
    if publish:
        tools = [t for t in tools if t != "weft-cni"]
    fns = {"weft": bench_weft, "weft-cni": bench_weft_cni, "netavark": bench_netavark,
           "cni": bench_cni}
    results = {}
    series = {}
    for n in sizes:
        for tool in tools:
            add, rm = fns[tool](n, publish)
            if n == max(sizes):
                series[tool] = add
            results[f"{tool}/{n}"] = {"attach": stats(add), "detach": stats(rm),
                                      "attach_growth_last50_vs_first50": growth(add)}
            print(f"{tool:9} N={n:4}  attach {stats(add)}  detach {stats(rm)}  "
                  f"growth x{growth(add)}", flush=True)
    for n in sizes:
        w = results.get(f"weft/{n}")
        if not w:
            continue
        wc, c = results.get(f"weft-cni/{n}"), results.get(f"cni/{n}")
        if wc and c:
            print(f"N={n}: weft as a CNI plugin, attach median {wc['attach']['median_ms'] / c['attach']['median_ms']:.3f}"
                  f" of the bridge plugin's; detach {wc['detach']['median_ms'] / c['detach']['median_ms']:.3f}")
        for other in ("netavark", "cni"):
            o = results.get(f"{other}/{n}")
            if o:
                print(f"N={n}: weft attach median is {w['attach']['median_ms'] / o['attach']['median_ms']:.3f}"
                      f" of {other}'s; detach {w['detach']['median_ms'] / o['detach']['median_ms']:.3f}")
    if os.environ.get("BENCH_PLOT") and series:
        plot(series, os.environ["BENCH_PLOT"])
    conc = int(os.environ.get("BENCH_CONCURRENT", "0"))
    if conc > 0 and not publish:
        cfns = {"weft": concurrent_weft, "weft-cni": concurrent_weft_cni,
                "netavark": concurrent_netavark, "cni": concurrent_cni}
        for tool in tools:
            r = cfns[tool](conc)
            results[f"{tool}/concurrent{conc}"] = r
            print(f"{tool:9} {conc} at once: {r}", flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
