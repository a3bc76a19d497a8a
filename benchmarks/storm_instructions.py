#!/usr/bin/env python3
"""Instructions per connect-storm connection, raw `websockets` vs wsguide, counted by callgrind.

    .venv/bin/python benchmarks/storm_instructions.py [--counts 200,600]

Each server runs under ``valgrind --tool=callgrind`` while the storm client of
``run.py`` (``wsload.py storm --raw``: handshake, Close, Close back, TCP closed)
opens ``N`` connections, for two values of ``N``; the difference of the two
totals divided by the difference of the counts is what one connection costs,
start-up excluded. A count of instructions does not change with the load of a
shared machine, so it shows a change to the storm's code path where the
connect storm of ``run.py`` (a rate) moves by ±15 % from one run to the next on
a shared VM. It counts the server's own process in user space (Python, its C
code, libc), not the kernel's work on sockets, which the two servers share
(the same 20 system calls per connection, ``strace -c``), and not cache misses.
Needs ``valgrind``; takes about two minutes. Loopback only.
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import ENV, PY, SERVERS  # the same two servers as run.py, importing this checkout's wsguide

HERE = Path(__file__).resolve().parent
START_TIMEOUT = 300.0  # seconds: Python's start-up under valgrind is about 50 times slower


def instructions(server: str, count: int, port: int) -> int:
    """Instructions the server executes from its start to its end, ``count`` storm connections in between."""
    env = {**ENV, "PYTHONHASHSEED": "0"}  # the same dict layouts in every run
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "callgrind.log"
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", f"--log-file={log}",
             *SERVERS[server], "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                line = proc.stdout.readline()  # type: ignore[union-attr]
                if line.startswith("READY") or (not line and proc.poll() is not None):
                    break
            else:
                raise RuntimeError(f"{server} did not print READY under valgrind in {START_TIMEOUT:.0f} s")
            client = subprocess.run(
                [PY, str(HERE / "anchor" / "wsload.py"), "storm", "--url", f"ws://127.0.0.1:{port}/echo",
                 "-k", str(count), "-p", "4", "--raw", "--open-timeout", "120"],
                capture_output=True, text=True, timeout=1200,
            )
            if client.returncode != 0:
                raise RuntimeError(f"storm client failed against {server}: {client.stderr[-500:]}")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
        found = re.search(r"Collected : (\d+)", log.read_text())
        if found is None:
            raise RuntimeError(f"no instruction count in {server}'s callgrind log")
        return int(found.group(1))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--counts", default="200,600", help="the two storm sizes (connections)")
    p.add_argument("--port", type=int, default=8775)
    a = p.parse_args()
    if shutil.which("valgrind") is None:
        print("storm_instructions.py needs valgrind (apt install valgrind); nothing measured.")
        return 2
    small, large = (int(n) for n in a.counts.split(","))
    per: dict[str, float] = {}
    for server in SERVERS:
        per[server] = (instructions(server, large, a.port) - instructions(server, small, a.port)) / (large - small)
        print(f"{server:8} {per[server]:>12,.0f} instructions per connection", flush=True)
    print(f"ratio raw / wsguide: {per['raw'] / per['wsguide']:.3f}x (a rate would be this, were instructions time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
