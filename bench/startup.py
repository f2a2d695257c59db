#!/usr/bin/env python3
"""bench/startup: process start-up, weft against /bin/true and netavark, in
the same run (issue #16, item 1: `weft --version` within 1.5 ms of
/bin/true). Needs no sandbox: it starts programs that print their version
and touch no network, namespace or state.

Each program is started N times (BENCH_STARTUP_N, 500), the programs
interleaved round by round so that the machine's load falls on all of them
alike, each with posix_spawn through subprocess (the same fixed cost for
every one). Reported: median and p10/p90 of the wall time per start, weft's
minus /bin/true's (the target), and the ratio to netavark's. Also `weft ps`
on an empty state directory (start-up plus opening nothing), and the
shared libraries each binary maps (ldd), which is most of what start-up
costs a dynamically linked C++ program.

BENCH_OUT=FILE writes the results as JSON.
"""
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

WEFT = os.environ["WEFT"]
NETAVARK = "/usr/lib/podman/netavark"
N = int(os.environ.get("BENCH_STARTUP_N", "500"))


def libraries(path):
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    return len([line for line in out.splitlines() if "=>" in line or line.strip().startswith("/")])


def main():
    state = tempfile.mkdtemp(prefix="weft-startup-")
    env = dict(os.environ, WEFT_STATE_DIR=state, WEFT_NETNS_DIR=os.path.join(state, "netns"))
    cases = {"true": ["/bin/true"], "weft --version": [WEFT, "--version"],
             "weft ps (no state)": [WEFT, "ps"]}
    if os.access(NETAVARK, os.X_OK):
        cases["netavark --version"] = [NETAVARK, "--version"]
    times = {k: [] for k in cases}
    for _ in range(N):
        for name, cmd in cases.items():
            t0 = time.perf_counter_ns()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                           check=True)
            times[name].append((time.perf_counter_ns() - t0) / 1e6)
    shutil.rmtree(state, ignore_errors=True)

    def summary(xs):
        xs = sorted(xs)
        return {"median_ms": round(statistics.median(xs), 3),
                "p10_ms": round(xs[len(xs) // 10], 3), "p90_ms": round(xs[len(xs) * 9 // 10], 3)}

    res = {"n": N, "loadavg": os.getloadavg()[0], "runs": {k: summary(v) for k, v in times.items()},
           "libraries": {"weft": libraries(WEFT)}}
    if "netavark --version" in cases:
        res["libraries"]["netavark"] = libraries(NETAVARK)
    med = {k: v["median_ms"] for k, v in res["runs"].items()}
    res["weft_minus_true_ms"] = round(med["weft --version"] - med["true"], 3)
    if "netavark --version" in med:
        res["weft_vs_netavark"] = round(med["weft --version"] / med["netavark --version"], 2)
    for k, v in res["runs"].items():
        print(f"  {k:22} median {v['median_ms']:7.3f} ms  (p10 {v['p10_ms']}, p90 {v['p90_ms']})")
    print(f"  weft --version - /bin/true: {res['weft_minus_true_ms']} ms   [target <= 1.5 ms]")
    if "weft_vs_netavark" in res:
        print(f"  weft --version / netavark --version: {res['weft_vs_netavark']}")
    print(f"  shared libraries mapped: {res['libraries']}")
    if res["loadavg"] > 1:
        print(f"  -- load {res['loadavg']:.1f}: the machine was busy, figures are noisy")
    if os.environ.get("BENCH_OUT"):
        with open(os.environ["BENCH_OUT"], "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
