#!/usr/bin/env python3
"""wsslow.py - slow peers: what a server holds for a client that stops reading.

Modes (each run stops by itself):

  slowreader  one client sends M binary messages of S bytes to an echo path and never reads
              the echoes                -> how far it got, whether the server pushed back
                                           (stopped reading) or dropped it, server RSS
  slowmember  a room with N members that read, one member that never reads, and a sender
              that sends M messages of S bytes (at most W in flight)
                                        -> deliveries/s to the readers, whether the slow
                                           member was dropped, server RSS

RSS figures need --server-pid (read from /proc, see wsload.py). "growth" is the server's
peak RSS during the run minus its RSS before; "after" is read 1 s after the run.

  python wsslow.py slowreader --url ws://127.0.0.1:8765/echo -m 400 -s 524288 --server-pid PID
  python wsslow.py slowmember --url ws://127.0.0.1:8765/room/x -n 20 -m 1000 -s 65536 --server-pid PID
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import struct
import sys
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsload import Meter, conn_kwargs  # noqa: E402

from websockets.asyncio.client import connect  # noqa: E402


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked frame with an all-zero key (allowed by RFC 6455; costs no CPU to mask)."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + b"\0\0\0\0" + payload


async def raw_open(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket handshake by hand; the caller then decides whether to read at all."""
    u = urlsplit(url)
    reader, writer = await asyncio.open_connection(u.hostname, u.port or 80)
    key = base64.b64encode(os.urandom(16)).decode()
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
    writer.write((f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        raise ConnectionError(f"handshake refused: {head[:80]!r}")
    return reader, writer


async def still_connected(writer: asyncio.StreamWriter) -> bool:
    """Whether the server still has the connection: two small writes fail once it reset it."""
    try:
        for _ in range(2):
            writer.write(client_frame(0xA, b""))  # an unsolicited Pong: ignored by servers
            await asyncio.wait_for(writer.drain(), 1)
            await asyncio.sleep(0.2)
    except asyncio.TimeoutError:
        return True  # the server does not read, but it is there
    except (ConnectionError, OSError):
        return False
    return not writer.transport.is_closing()


def mb(value: int | None) -> float | None:
    return None if value is None else round(value / 2**20, 1)


async def mode_slowreader(a) -> dict:
    meter = Meter(a.server_pid, sample_ms=a.sample_ms)
    await asyncio.sleep(a.settle)
    rss0 = meter.rss()
    reader, writer = await raw_open(a.url)
    writer.transport.pause_reading()  # never read the echoes
    frame = client_frame(0x2, b"x" * a.size)
    meter.start(sample_rss=True)
    sent, outcome = 0, "sent everything"
    for _ in range(a.messages):
        writer.write(frame)
        try:
            await asyncio.wait_for(writer.drain(), a.stall)
        except asyncio.TimeoutError:
            outcome = "server stopped reading (backpressure)"
            break
        except (ConnectionError, OSError):
            outcome = "dropped by the server"
            break
        sent += a.size
    if outcome == "sent everything" and not await still_connected(writer):
        outcome = "dropped by the server"
    usage = meter.stop()
    writer.transport.abort()
    await asyncio.sleep(a.settle)
    rss_after = meter.rss()
    out = {"size": a.size, "messages": a.messages, "sent_mb": mb(sent), "outcome": outcome,
           "server_rss_before_mb": mb(rss0), "server_rss_after_mb": mb(rss_after)}
    out.update(usage)
    if rss0 is not None:
        out["server_rss_growth_mb"] = round(usage["server_peak_rss_mb"] - rss0 / 2**20, 1)
    return out


async def mode_slowmember(a) -> dict:
    meter = Meter(a.server_pid, sample_ms=a.sample_ms)
    await asyncio.sleep(a.settle)
    rss0 = meter.rss()
    kwargs = conn_kwargs(a)
    readers = [await connect(a.url, **kwargs) for _ in range(a.receivers)]
    sender = await connect(a.url, **kwargs)
    _slow_reader, slow = await raw_open(a.url)
    slow.transport.pause_reading()
    got = [0] * len(readers)
    synced = asyncio.Event()
    done = asyncio.Event()
    window = asyncio.Semaphore(a.window)
    marker = f"sync {os.getpid()}"
    seen_marker = [False] * len(readers)

    async def read(i, ws):
        async for msg in ws:
            if msg == marker:
                seen_marker[i] = True
                if all(seen_marker):
                    synced.set()
                continue
            got[i] += 1
            if all(g >= a.messages for g in got):
                done.set()

    async def own_copies():
        async for msg in sender:
            if msg != marker:
                window.release()

    tasks = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(readers)]
    tasks.append(asyncio.create_task(own_copies()))
    await sender.send(marker)  # every reader is in the room once each has seen it
    await asyncio.wait_for(synced.wait(), 30)
    payload = b"y" * a.size
    meter.start(sample_rss=True)
    t0 = time.perf_counter()
    for _ in range(a.messages):
        await asyncio.wait_for(window.acquire(), a.timeout)
        await sender.send(payload)
    try:
        await asyncio.wait_for(done.wait(), a.timeout)
    except asyncio.TimeoutError:
        pass
    elapsed = time.perf_counter() - t0
    usage = meter.stop()
    dropped = not await still_connected(slow)
    for t in tasks:
        t.cancel()
    slow.transport.abort()
    for ws in readers + [sender]:
        ws.transport.abort()
    await asyncio.sleep(a.settle)
    rss_after = meter.rss()
    delivered = sum(got)
    out = {"receivers": a.receivers, "messages": a.messages, "size": a.size, "window": a.window,
           "delivered": delivered, "expected": a.receivers * a.messages,
           "offered_to_slow_member_mb": mb(a.messages * a.size),
           "delivered_per_s": round(delivered / elapsed, 1), "slow_member_dropped": dropped,
           "server_rss_before_mb": mb(rss0), "server_rss_after_mb": mb(rss_after)}
    out.update(usage)
    if rss0 is not None:
        out["server_rss_growth_mb"] = round(usage["server_peak_rss_mb"] - rss0 / 2**20, 1)
    return out


MODES = {"slowreader": mode_slowreader, "slowmember": mode_slowmember}


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=sorted(MODES))
    p.add_argument("--url", required=True)
    p.add_argument("--server-pid", type=int, default=None)
    p.add_argument("--compression", choices=["none", "deflate"], default="none")
    p.add_argument("--open-timeout", type=float, default=30)
    p.add_argument("-s", "--size", type=int, default=512 * 1024, help="message size in bytes")
    p.add_argument("-m", "--messages", type=int, default=400)
    p.add_argument("-n", "--receivers", type=int, default=20, help="slowmember: members that read")
    p.add_argument("-w", "--window", type=int, default=8, help="slowmember: messages in flight")
    p.add_argument("--stall", type=float, default=2.0, help="slowreader: seconds a write may wait")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--settle", type=float, default=1.0)
    p.add_argument("--sample-ms", type=int, default=20)
    return p.parse_args(argv)


def main(argv=None):
    a = parse(argv)
    res = asyncio.run(MODES[a.mode](a))
    line = {"tool": "wsslow.py", "mode": a.mode, "url": a.url, "ts": round(time.time(), 3)}
    line.update(res)
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
