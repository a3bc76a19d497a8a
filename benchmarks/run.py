#!/usr/bin/env python3
"""wsguide vs raw `websockets`, measured in the same run with the same load client.

    .venv/bin/python benchmarks/run.py [--reps 3] [--blocks echo,fanout,storm,hold,slow,import]

Servers are started fresh for each measurement and alternate (raw, wsguide,
raw, wsguide, ...); the connect storm, a short measurement, runs three times as
many pairs (``REPS_FACTOR``). With `taskset` available the server runs on CPU 0 and the
load client on CPU 1, as in the anchor figures of bench/RESULTS.md. Prints the
median of each figure and the ratio wsguide / raw. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
# The servers import this checkout's wsguide, whatever the environment has installed.
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")]))}
TASKSET = shutil.which("taskset")

SERVERS = {
    "raw": [PY, str(HERE / "anchor" / "py_server.py"), "--compression", "none", "--room-mode", "helper"],
    "wsguide": [PY, str(HERE / "servers" / "wsguide_server.py"), "--compression", "none"],
}

CASES = {
    "echo": [
        ("echo 64 B, 1 conn (msgs/s)", "echo", "/echo", ["-c", "1", "-s", "64", "-t", "3"], "msgs_per_s"),
        ("echo 64 B, 100 conns (msgs/s)", "echo", "/echo", ["-c", "100", "-s", "64", "-t", "3"], "msgs_per_s"),
        ("echo 16 KiB, 10 conns (msgs/s)", "echo", "/echo", ["-c", "10", "-s", "16384", "-t", "3"], "msgs_per_s"),
    ],
    "fanout": [
        ("fan-out 100 members (deliveries/s)", "fanout", "/room/b{rep}", ["-n", "100", "-m", "1000", "-w", "8"], "delivered_per_s"),
        ("fan-out 1000 members (deliveries/s)", "fanout", "/room/c{rep}", ["-n", "1000", "-m", "100", "-w", "8"], "delivered_per_s"),
        ("fan-out 1000 members, 10k/s: p99 latency (us)", "fanout", "/room/d{rep}", ["-n", "1000", "-m", "30", "--rate", "10"], "delivery_p99_us"),
    ],
    "storm": [
        ("connect storm, 2000 conns (conns/s)", "storm", "/echo", ["-k", "2000", "-p", "32", "--raw"], "conns_per_s"),
    ],
    "hold": [
        ("idle memory, 5000 conns (KiB per conn)", "hold", "/echo", ["-k", "5000", "--hold-seconds", "3", "--probe"], "server_rss_per_conn_kb"),
    ],
    # anchor/wsslow.py: a client that never reads. Figures are the server's RSS growth (MiB).
    "slow": [
        ("slow reader: 400 × 512 KiB echoed, never read (RSS growth, MiB)", "slowreader", "/echo",
         ["-m", "400", "-s", "524288"], "server_rss_growth_mb", "outcome"),
        ("slow member in a room of 20: 2000 × 64 KiB (RSS growth, MiB)", "slowmember", "/room/s{rep}",
         ["-n", "20", "-m", "2000", "-s", "65536"], "server_rss_growth_mb", "slow_member_dropped"),
    ],
}
SLOW_MODES = ("slowreader", "slowmember")
#: A storm lasts about half a second, an echo three: in a half-second window a shared VM moves
#: either server's rate by up to 40 % from one run to the next, so the storm takes three times
#: the pairs of runs for a median as steady as the others'. It costs about two seconds a pair.
REPS_FACTOR = {"storm": 3}


def pinned(cpu: str, argv: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *argv] if TASKSET else argv


def start(name: str, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        pinned("0", [*SERVERS[name], "--port", str(port)]),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ENV,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("READY"):
            return proc
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"{name} server did not print READY")


CLIENT = "py"


def run_case(server: str, mode: str, path: str, args: list[str], port: int, rep: int) -> dict:
    proc = start(server, port)
    url = f"ws://127.0.0.1:{port}{path.format(rep=rep)}"
    if mode in SLOW_MODES:
        client = [PY, str(HERE / "anchor" / "wsslow.py"), mode, "--url", url]
    elif CLIENT == "node" and mode != "storm":
        # The Node client (needs the `ws` package on NODE_PATH) costs less CPU than
        # the Python one, so fan-out measures the server rather than the client.
        client = ["node", str(HERE / "anchor" / "wsload.mjs"), mode, "--url", url]
    else:
        client = [PY, str(HERE / "anchor" / "wsload.py"), mode, "--url", url]
    try:
        out = subprocess.run(
            pinned("1", [*client, "--server-pid", str(proc.pid), *args]),
            capture_output=True, text=True, timeout=120,
        )
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        if not lines:
            raise RuntimeError(f"load client failed for {server}: {out.stderr[-500:]}")
        return json.loads(lines[-1])
    finally:
        proc.kill()
        proc.wait()


def import_time() -> float:
    samples = []
    for _ in range(5):
        t = subprocess.run([PY, "-X", "importtime", "-c", "import wsguide"], capture_output=True, text=True, env=ENV)
        last = [ln for ln in t.stderr.splitlines() if ln.rstrip().endswith("wsguide")]
        samples.append(int(last[-1].split("|")[1]) / 1000)
    return statistics.median(samples)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--blocks", default="echo,fanout,storm,hold,slow,import")
    p.add_argument("--port", type=int, default=8771)
    p.add_argument("--client", choices=["py", "node"], default="py",
                   help="load client: py (anchor/wsload.py) or node (anchor/wsload.mjs, needs `ws` on NODE_PATH)")
    a = p.parse_args()
    global CLIENT
    CLIENT = a.client
    blocks = a.blocks.split(",")
    print(f"{'measure':48} {'raw websockets':>15} {'wsguide':>12} {'ratio':>7}")
    for block in blocks:
        if block == "import":
            print(f"{'import wsguide (ms, median of 5)':48} {'':>15} {import_time():>12.1f}")
            continue
        for label, mode, path, args, field, *notes in CASES[block]:
            results: dict[str, list[float]] = {"raw": [], "wsguide": []}
            seen: dict[str, set[str]] = {"raw": set(), "wsguide": set()}
            # Server CPU per unit of work (µs per message, delivery or connection): steadier than
            # a rate when other processes share the CPUs, since it does not count waiting.
            cost: dict[str, list[float]] = {"raw": [], "wsguide": []}
            for rep in range(a.reps * REPS_FACTOR.get(mode, 1)):
                for server in ("raw", "wsguide"):
                    r = run_case(server, mode, path, args, a.port, rep)
                    results[server].append(float(r[field]))
                    seen[server].update(f"{n}={r.get(n)}" for n in notes)
                    if field.endswith("_per_s") and r.get("server_cpu_pct") and r[field]:
                        cost[server].append(r["server_cpu_pct"] / 100 / float(r[field]) * 1e6)
            raw = statistics.median(results["raw"])
            ours = statistics.median(results["wsguide"])
            ratio = ours / raw if raw else float("nan")
            if field.endswith(("_us", "_kb", "_mb")):
                ratio = raw / ours if ours else float("nan")  # latency, memory: higher ratio is better
            print(f"{label:48} {raw:>15,.0f} {ours:>12,.0f} {ratio:>6.2f}x", flush=True)
            if cost["raw"] and cost["wsguide"]:
                c_raw, c_ours = statistics.median(cost["raw"]), statistics.median(cost["wsguide"])
                print(f"{'   server CPU per unit (us)':48} {c_raw:>15,.1f} {c_ours:>12,.1f} {c_raw / c_ours:>6.2f}x")
            if notes:
                print(f"{'':48}   raw: {', '.join(sorted(seen['raw']))}; wsguide: {', '.join(sorted(seen['wsguide']))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
