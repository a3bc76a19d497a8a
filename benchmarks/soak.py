"""Soak test of the chat room: members chat for minutes, drop and come back, and the server is killed once.

    python benchmarks/soak.py                          # 30 members, 10 minutes, one kill -9 at half time
    python benchmarks/soak.py --duration 60 --json out.json

It starts `python -m wsguide dev examples/chat/worker.py --persist-to <tmp>` and drives
the room `soak` with the chat protocol of examples/chat/worker.py: each member joins with
{"name"}, then sends {"text"} at random intervals of 1.05-2.5 s (the room allows a burst
of 5, then 1 message/s), sometimes leaves (a clean close or a dropped connection) and comes
back. Member 0, the *monitor*, never leaves on its own: it records the order in which the
room broadcast every message. At half time the server gets SIGKILL and a new one starts
on the same folder.

What it checks

* **acknowledged** = the sender received its own message back in the room's broadcast
  (the room stores a message before it broadcasts it). A message whose sender left or
  whose server died before the echo came back is *unacknowledged* and may be lost.
* **nothing acknowledged is lost, within the history window**: every welcome (a member
  joining gets the last 50 stored messages) must be a contiguous run of the room's order,
  so no message inside its range is missing; and the welcome the monitor gets right after
  the restart (before anyone else reconnects) must hold the newest message acknowledged
  before the kill, and every acknowledged message from its first message on.
* **resources**: the server's RSS (``VmRSS``) and open descriptors (``/proc/<pid>/fd``)
  are sampled; after a warm-up (a fifth of each server's life, at least 10 s) RSS must
  stay within 10 % of its first sample and the non-socket descriptors must stay flat
  (sockets come and go with the members).

Prints a report and exits 1 if a criterion failed. Linux only (it reads /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "examples" / "chat" / "worker.py"
ROOM = "soak"
HISTORY = 50  # examples/chat/worker.py: messages a newcomer receives
READY = re.compile(r"Ready on (http://127\.0\.0\.1:\d+)")


# -- the server --------------------------------------------------------------------------
class Server:
    """`wsguide dev` on the chat example, in its own process (stopped by PID)."""

    def __init__(self, persist: Path) -> None:
        self.persist = persist
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.started = 0.0

    def start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wsguide", "dev", str(WORKER), "--port", "0",
             "--persist-to", str(self.persist)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        assert self.proc.stdout is not None
        seen = []
        for line in self.proc.stdout:  # blocks until the banner's URL (or the process ends)
            seen.append(line)
            m = READY.search(line)
            if m:
                self.url = m.group(1).replace("http://", "ws://")
                self.started = time.monotonic()
                # keep draining its output so the pipe never fills
                asyncio.get_running_loop().run_in_executor(None, self._drain)
                return
        raise RuntimeError("wsguide dev exited before it was ready:\n" + "".join(seen))

    def _drain(self) -> None:
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        for _ in proc.stdout:
            pass

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def sample(pid: int) -> dict[str, int]:
    """RSS (KiB) and open descriptors of ``pid``, from /proc."""
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    fds = sockets = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        fds += 1
        sockets += target.startswith("socket:")
    return {"rss_kib": rss, "fds": fds, "socket_fds": sockets, "other_fds": fds - sockets}


# -- the run -----------------------------------------------------------------------------
@dataclass
class Run:
    duration: float
    members: int
    server: Server
    rng: random.Random
    compression: bool = True  # clients offer permessage-deflate, as browsers do
    epoch: int = 0  # which server process (0 before the kill, 1 after)
    up: asyncio.Event = field(default_factory=asyncio.Event)
    monitor_up: asyncio.Event = field(default_factory=asyncio.Event)
    restart_seen: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: bool = False
    sent: dict[str, int] = field(default_factory=dict)  # text -> epoch it was sent in
    acked: dict[str, int] = field(default_factory=dict)  # text -> epoch of its echo
    refused: list[str] = field(default_factory=list)  # error events (rate limit, ...)
    order: list[tuple[int, str]] = field(default_factory=list)  # the monitor's view: (epoch, text)
    welcomes: list[tuple[int, list[str]]] = field(default_factory=list)
    restart_welcome: list[str] | None = None
    joins: int = 0
    drops: dict[str, int] = field(default_factory=lambda: {"clean": 0, "abrupt": 0})
    samples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"{self.server.url}/api/room/{ROOM}/websocket"


async def join(run: Run, name: str) -> tuple[Any, list[str]]:
    """Connect and join as ``name``; the welcome's history (texts, oldest first)."""
    conn = await connect(run.endpoint, proxy=None, open_timeout=10, max_queue=None, close_timeout=2,
                         compression="deflate" if run.compression else None)
    await conn.send(json.dumps({"name": name}))
    while True:
        event = json.loads(await asyncio.wait_for(conn.recv(), 20))
        if event.get("type") == "welcome":
            run.joins += 1
            return conn, [m["text"] for m in event["history"]]
        if event.get("type") == "message":  # broadcast before our welcome: not ours to count
            continue


async def member(run: Run, i: int) -> None:
    name = f"m{i}"
    seq = 0
    monitor = i == 0
    gate = run.monitor_up if monitor else run.up  # after the restart the monitor goes first
    while not run.stopping:
        await gate.wait()
        epoch = run.epoch  # the server this connection talks to
        try:
            conn, history = await join(run, name)
        except (OSError, InvalidHandshake, ConnectionClosed, asyncio.TimeoutError):
            if run.epoch == epoch and gate.is_set():  # up, but refused us: try again shortly
                await asyncio.sleep(0.2)
            continue
        run.welcomes.append((epoch, history))
        if monitor and epoch == 1 and run.restart_welcome is None:
            run.restart_welcome = history
            run.restart_seen.set()

        async def listen() -> None:
            async for raw in conn:
                if raw == "pong":
                    continue
                event = json.loads(raw)
                kind = event.get("type")
                if kind == "message":
                    if monitor:
                        run.order.append((epoch, event["text"]))
                    if event["name"] == name:
                        run.acked.setdefault(event["text"], epoch)
                elif kind == "error":
                    run.refused.append(event["error"])

        listener = asyncio.create_task(listen())
        try:
            while not run.stopping and not listener.done():
                await asyncio.sleep(run.rng.uniform(1.05, 2.5))  # within the room's rate limit
                if listener.done() or run.stopping:
                    break
                if not monitor and run.rng.random() < 1 / 20:  # leave now and then, come back
                    if run.rng.random() < 0.5:
                        run.drops["clean"] += 1
                        await conn.close()
                    else:
                        run.drops["abrupt"] += 1
                        conn.transport.abort()
                    await asyncio.sleep(run.rng.uniform(0.1, 2.0))
                    break
                seq += 1
                text = f"{name}#{seq}"
                run.sent[text] = epoch
                await conn.send(json.dumps({"text": text}))
        except ConnectionClosed:
            pass
        finally:
            listener.cancel()
            try:
                await listener
            except (asyncio.CancelledError, ConnectionClosed):
                pass
            if run.stopping:
                conn.transport.abort()


async def sampler(run: Run, every: float) -> None:
    while not run.stopping:
        if run.monitor_up.is_set():
            try:
                s = sample(run.server.pid)
            except (FileNotFoundError, ProcessLookupError):
                s = None
            if s is not None:
                s.update(t=round(time.monotonic() - run.server.started, 1), epoch=run.epoch,
                         connected_sent=len(run.sent))
                run.samples.append(s)
        await asyncio.sleep(every)


async def soak(
    duration: float, members: int, kill_at: float, seed: int, persist: Path, compression: bool = True
) -> dict[str, Any]:
    server = Server(persist)
    run = Run(duration=duration, members=members, server=server, rng=random.Random(seed), compression=compression)
    server.start()
    run.monitor_up.set()
    run.up.set()
    tasks = [asyncio.create_task(member(run, i)) for i in range(members)]
    tasks.append(asyncio.create_task(sampler(run, 5.0 if duration >= 300 else 2.0)))
    began = time.monotonic()
    await asyncio.sleep(duration * kill_at)
    # -- kill -9 under load, restart on the same folder --------------------------------
    run.up.clear()
    run.monitor_up.clear()
    killed_at = time.monotonic() - began
    server.kill()
    run.epoch = 1
    server.start()
    restart_s = time.monotonic() - began - killed_at
    # The monitor joins first: its welcome shows what survived, before anyone writes again.
    run.monitor_up.set()
    await asyncio.wait_for(run.restart_seen.wait(), 30)
    run.up.set()
    await asyncio.sleep(max(0.0, duration - (time.monotonic() - began)))
    run.stopping = True
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    final = sample(server.pid)
    server.stop()
    return report(run, killed_at, restart_s, final)


def check_resources(samples: list[dict[str, Any]], epoch: int) -> dict[str, Any]:
    mine = [s for s in samples if s["epoch"] == epoch]
    if not mine:
        return {"samples": 0, "ok": False, "why": "no samples"}
    life = mine[-1]["t"]
    warm = max(10.0, life / 5)
    after = [s for s in mine if s["t"] >= warm] or mine[-1:]
    base = after[0]
    rss_max = max(s["rss_kib"] for s in after)
    other = [s["other_fds"] for s in after]
    growth = rss_max / base["rss_kib"] - 1
    ok = growth <= 0.10 and max(other) - min(other) <= 2
    return {
        "samples": len(mine), "warmup_s": warm,
        "rss_kib_first": mine[0]["rss_kib"], "rss_kib_after_warmup": base["rss_kib"],
        "rss_kib_max": rss_max, "rss_kib_last": mine[-1]["rss_kib"], "rss_growth": round(growth, 4),
        "fds_min": min(s["fds"] for s in after), "fds_max": max(s["fds"] for s in after),
        "other_fds_min": min(other), "other_fds_max": max(other), "ok": ok,
    }


def contiguous(history: list[str], order: list[str], index: dict[str, int]) -> list[str]:
    """Messages of ``order`` inside the range of ``history`` that ``history`` lacks."""
    known = [index[t] for t in history if t in index]
    if not known:
        return []
    lo, hi = min(known), max(known)
    inside = set(history)
    return [t for t in order[lo : hi + 1] if t not in inside]


def report(run: Run, killed_at: float, restart_s: float, final: dict[str, int]) -> dict[str, Any]:
    # The room's order: what the monitor saw from the first server, then the restart welcome
    # (it may hold messages broadcast while the monitor was being cut off), then the rest.
    before = [t for e, t in run.order if e == 0]
    restart = run.restart_welcome or []
    seen = set(before)
    order = before + [t for t in restart if t not in seen]
    seen.update(restart)
    order += [t for e, t in run.order if e == 1 and t not in seen]
    index = {t: i for i, t in enumerate(order)}
    # every welcome is a contiguous run of the room's order: nothing inside its range is missing
    gaps = {t for _, h in run.welcomes for t in contiguous(h, order, index) if t in run.acked}
    # the newest message acknowledged before the kill is in the first welcome after it, and so
    # is every acknowledged message from the start of that welcome on
    acked_before = [t for t in order if run.acked.get(t) == 0]
    acked_before += [t for t, e in run.acked.items() if e == 0 and t not in index]  # monitor missed them
    start = index.get(restart[0], len(order)) if restart else len(order)
    must = [t for t in acked_before if index.get(t, len(order)) >= start]
    if acked_before and acked_before[-1] not in must:
        must.append(acked_before[-1])
    lost_at_kill = [t for t in must if t not in set(restart)]
    lost = sorted(gaps | set(lost_at_kill))
    unknown = [t for h in (h for _, h in run.welcomes) for t in h if t not in run.sent]
    res0 = check_resources(run.samples, 0)
    res1 = check_resources(run.samples, 1)
    result = {
        "duration_s": run.duration, "members": run.members, "compression": run.compression,
        "sent": len(run.sent), "acknowledged": len(run.acked), "unacknowledged": len(run.sent) - len(run.acked),
        "refused": len(run.refused), "refusals": sorted(set(run.refused))[:5],
        "lost": len(lost), "lost_examples": lost[:10], "phantoms": len(unknown),
        "joins": run.joins, "drops": run.drops, "welcomes_checked": len(run.welcomes),
        "kill": {"at_s": round(killed_at, 1), "restart_s": round(restart_s, 2),
                 "acked_before": len(acked_before), "acked_checked_after_restart": len(must),
                 "restart_welcome": len(restart)},
        "server_before_kill": res0, "server_after_restart": res1, "final_sample": final,
    }
    result["passed"] = bool(
        not lost and not unknown and not run.refused and restart and res0["ok"] and res1["ok"]
        and len(must) > 0 and len(run.acked) > 0
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction of the run (default 0.5)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--no-compression", action="store_true", help="clients do not offer permessage-deflate")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("soak.py reads /proc: Linux only", file=sys.stderr)
        return 2
    persist = Path(tempfile.mkdtemp(prefix="wsguide-soak-"))
    try:
        result = asyncio.run(
            soak(args.duration, args.members, args.kill_at, args.seed, persist, not args.no_compression)
        )
    finally:
        shutil.rmtree(persist, ignore_errors=True)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    print("PASSED" if result["passed"] else "FAILED", file=sys.stderr)
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
