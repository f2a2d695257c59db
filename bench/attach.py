#!/usr/bin/env python3
"""bench/attach: time per container attach and detach, weft against netavark
and the CNI bridge plugin, in the same run. Must run inside tests/sandbox
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


def main():
    sizes = [int(x) for x in os.environ.get("BENCH_SIZES", "100,500").split(",")]
    publish = os.environ.get("BENCH_PUBLISH") == "1"
    tools = os.environ.get("BENCH_TOOLS", "weft,netavark,cni").split(",")
    fns = {"weft": bench_weft, "netavark": bench_netavark, "cni": bench_cni}
    results = {}
    for n in sizes:
        for tool in tools:
            add, rm = fns[tool](n, publish)
            results[f"{tool}/{n}"] = {"attach": stats(add), "detach": stats(rm),
                                      "attach_growth_last50_vs_first50": growth(add)}
            print(f"{tool:9} N={n:4}  attach {stats(add)}  detach {stats(rm)}  "
                  f"growth x{growth(add)}", flush=True)
    for n in sizes:
        w = results.get(f"weft/{n}")
        if not w:
            continue
        for other in ("netavark", "cni"):
            o = results.get(f"{other}/{n}")
            if o:
                print(f"N={n}: weft attach median is {w['attach']['median_ms'] / o['attach']['median_ms']:.3f}"
                      f" of {other}'s; detach {w['detach']['median_ms'] / o['detach']['median_ms']:.3f}")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
