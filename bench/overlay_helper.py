#!/usr/bin/env python3
"""bench/overlay's helpers (see bench/overlay.sh), one per role:

  listen REQ OUT PORT   on node A (its network and mount namespaces): for each
                        line "ID NAME T0" on the FIFO REQ, opens a TCP listener
                        on PORT inside container NAME's namespace
                        (/run/netns/NAME, entered with setns and left again;
                        the socket stays in that namespace; never accepted:
                        the kernel completes handshakes), reads the
                        container's IPv4 address off its eth0 and writes
                        "ID ADDR NAME T0" to the FIFO OUT (the prober's REQ).
  probe REQ DONE PORT FILE
                        inside a container on node B (`weft exec`, so its
                        resolv.conf): for each "ID ADDR NAME T0", two probes at
                        once until each has one established TCP connection:
                        to ADDR, and to NAME resolved afresh on every try
                        (getaddrinfo, AF_INET). A try is a non-blocking
                        connect; a new one starts every RETRY_MS while older
                        ones stay pending (up to 1 s), so a slow handshake is
                        never cut short and no try waits for a timeout.
                        Appends "ID KIND START RESOLVED CONNECTED" (ms after
                        T0, "-" for none) to FILE, then "ID" to the FIFO DONE.
                        The listener's first line, "ready", is passed on to
                        DONE once both have started.
  report FILE...        the statistics of bench/overlay.sh's raw results as
                        JSON (see there).

T0 and the helpers' clocks are CLOCK_REALTIME of the one machine every node
of the harness shares.
"""
import ctypes
import errno
import fcntl
import json
import os
import selectors
import socket
import statistics
import struct
import sys
import threading
import time

CLONE_NEWNET = 0x40000000
RETRY_MS = float(os.environ.get("BENCH_OVERLAY_RETRY_MS", "5"))
GIVE_UP_S = float(os.environ.get("BENCH_OVERLAY_GIVE_UP_S", "10"))


def setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def ipv4_of(sock, ifname):
    req = struct.pack("256s", ifname.encode()[:15])
    res = fcntl.ioctl(sock.fileno(), 0x8915, req)  # SIOCGIFADDR
    return socket.inet_ntoa(res[20:24])


def listen(req_path, out_path, port):
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    keep = []
    req = os.fdopen(os.open(req_path, os.O_RDWR), "r")
    out = os.open(out_path, os.O_RDWR)
    os.write(out, b"ready\n")
    for line in req:
        ident, name, t0 = line.split()
        ns = os.open(f"/run/netns/{name}", os.O_RDONLY)
        try:
            setns(ns)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", port))
            s.listen(64)
            addr = ipv4_of(s, "eth0")
        finally:
            setns(home)
            os.close(ns)
        keep.append(s)
        os.write(out, f"{ident} {addr} {name} {t0}\n".encode())


def connect_until(target, port, t0, resolve):
    """Tries until one TCP connection is established; returns (resolved,
    connected) in ms after t0 (None when it gave up)."""
    sel = selectors.DefaultSelector()
    pending = {}
    resolved = None
    end = time.time() + GIVE_UP_S
    next_try = 0.0
    try:
        while time.time() < end:
            now = time.time()
            if now >= next_try:
                next_try = now + RETRY_MS / 1000
                addr = target
                if resolve:
                    try:
                        addr = socket.getaddrinfo(target, port, socket.AF_INET,
                                                  socket.SOCK_STREAM)[0][4][0]
                        if resolved is None:
                            resolved = (time.time() - t0) * 1000
                    except (socket.gaierror, OSError):
                        addr = None
                if addr is not None:
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.setblocking(False)
                    rc = s.connect_ex((addr, port))
                    if rc in (0, errno.EINPROGRESS):
                        if rc == 0:
                            s.close()
                            return resolved, (time.time() - t0) * 1000
                        sel.register(s, selectors.EVENT_WRITE)
                        pending[s] = now
                    else:
                        s.close()
            for s, since in list(pending.items()):
                if now - since > 1.0:
                    sel.unregister(s)
                    s.close()
                    del pending[s]
            wait = max(0.0, next_try - time.time())
            for key, _ in sel.select(wait):
                s = key.fileobj
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                sel.unregister(s)
                del pending[s]
                s.close()
                if err == 0:
                    return resolved, (time.time() - t0) * 1000
        return resolved, None
    finally:
        for s in pending:
            s.close()
        sel.close()


def probe(req_path, done_path, port, out_file):
    req = os.fdopen(os.open(req_path, os.O_RDWR), "r")
    done = os.open(done_path, os.O_RDWR)
    for line in req:
        if line.strip() == "ready":  # the listener's, after its start-up and ours
            os.write(done, b"ready\n")
            continue
        ident, addr, name, t0 = line.split()
        t0 = float(t0)
        start = (time.time() - t0) * 1000
        results = {}

        def run(kind, target, resolve):
            results[kind] = connect_until(target, port, t0, resolve)

        threads = [threading.Thread(target=run, args=("ip", addr, False)),
                   threading.Thread(target=run, args=("name", name, True))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        def ms(x):
            return "-" if x is None else f"{x:.3f}"

        with open(out_file, "a") as f:
            for kind in ("ip", "name"):
                r, c = results[kind]
                f.write(f"{ident} {kind} {start:.3f} {ms(r)} {ms(c)}\n")
        os.write(done, f"{ident}\n".encode())


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def stats(xs):
    if not xs:
        return None
    return {"n": len(xs), "median_ms": round(statistics.median(xs), 2),
            "p99_ms": round(pct(xs, 0.99), 2), "max_ms": round(max(xs), 2)}


def report(conv_file, attach_file, iperf_file, state_file):
    out = {}
    cold, conv = {}, {"ip": [], "name": [], "start": [], "resolved": []}
    failed = {"ip": 0, "name": 0}
    with open(conv_file) as f:
        for line in f:
            ident, kind, start, resolved, connected = line.split()
            if ident == "0":
                cold[kind] = None if connected == "-" else round(float(connected), 2)
                continue
            if connected == "-":
                failed[kind] += 1
            else:
                conv[kind].append(float(connected))
            if kind == "ip":
                conv["start"].append(float(start))
            elif resolved != "-":
                conv["resolved"].append(float(resolved))
    out["convergence"] = {
        "by_ip": stats(conv["ip"]), "by_name": stats(conv["name"]),
        "name_resolved": stats(conv["resolved"]), "probe_started": stats(conv["start"]),
        "gave_up": failed, "first_container_on_node": cold}
    att = {"overlay": [], "bridge": []}
    with open(attach_file) as f:
        for line in f:
            kind, ms = line.split()
            att.setdefault(kind, []).append(float(ms))
    out["attach"] = {k: stats(v) for k, v in att.items()}
    if att["overlay"] and att["bridge"]:
        out["attach"]["overlay_minus_bridge_median_ms"] = round(
            statistics.median(att["overlay"]) - statistics.median(att["bridge"]), 2)
    bw = {}
    with open(iperf_file) as f:
        for line in f:
            kind, bps = line.split()
            bw.setdefault(kind, []).append(float(bps))
    out["throughput_gbit_s"] = {k: {"median": round(statistics.median(v) / 1e9, 2),
                                    "runs": [round(x / 1e9, 2) for x in v]}
                                for k, v in bw.items()}
    med = {k: statistics.median(v) for k, v in bw.items()}
    if {"overlay", "underlay", "handbuilt"} <= med.keys():
        out["throughput_ratios"] = {
            "overlay_vs_underlay": round(med["overlay"] / med["underlay"], 3),
            "overlay_vs_handbuilt": round(med["overlay"] / med["handbuilt"], 3),
            "handbuilt_vs_underlay": round(med["handbuilt"] / med["underlay"], 3)}
    with open(state_file) as f:
        out["kernel_state"] = json.load(f)
    print(json.dumps(out))


def main():
    mode = sys.argv[1]
    if mode == "listen":
        listen(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif mode == "probe":
        probe(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif mode == "report":
        report(*sys.argv[2:6])
    else:
        sys.exit(f"overlay_helper: unknown mode {mode}")


if __name__ == "__main__":
    main()
