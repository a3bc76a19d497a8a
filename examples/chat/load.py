"""Load check for the chat room: N members join one room and chat; report deliveries/s and latency.

    python examples/chat/load.py                       # starts the chat Worker itself (in memory)
    python examples/chat/load.py --url ws://127.0.0.1:8787 --members 30 --seconds 5

Each member sends `--rate` messages per second (the room allows 1 per second per
connection after a burst of 5) for `--seconds`; every member receives every message.
Latency is measured from the sender's clock to each receiver's (same process).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from websockets.asyncio.client import connect


async def run(url: str, members: int, rate: float, seconds: float, room: str) -> dict[str, Any]:
    endpoint = f"{url}/api/room/{room}/websocket"
    latencies: list[float] = []
    expected = members * members * int(rate * seconds)
    done = asyncio.Event()
    conns = []
    for i in range(members):
        conn = await connect(endpoint, proxy=None, open_timeout=10, max_queue=None)
        await conn.send(json.dumps({"name": f"member-{i}"}))
        while json.loads(await asyncio.wait_for(conn.recv(), 10))["type"] != "welcome":
            pass
        conns.append(conn)

    async def listen(conn: Any) -> None:
        async for raw in conn:
            if raw == "pong":
                continue
            event = json.loads(raw)
            if event.get("type") == "message" and event["text"].startswith("t="):
                latencies.append(time.perf_counter() - float(event["text"][2:]))
                if len(latencies) >= expected:
                    done.set()

    listeners = [asyncio.create_task(listen(c)) for c in conns]

    async def talk(i: int, conn: Any) -> None:
        await asyncio.sleep(i / members / rate)  # spread the members over the second
        for _ in range(int(rate * seconds)):
            await conn.send(json.dumps({"text": f"t={time.perf_counter()}"}))
            await asyncio.sleep(1 / rate)  # pacing the load generator, not synchronising

    start = time.perf_counter()
    await asyncio.gather(*(talk(i, c) for i, c in enumerate(conns)))
    try:
        await asyncio.wait_for(done.wait(), timeout=10)
    except TimeoutError:
        pass
    elapsed = time.perf_counter() - start
    for task in listeners:
        task.cancel()
    for conn in conns:
        await conn.close()
    lat = sorted(latencies)
    pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 2) if lat else None  # noqa: E731
    return {
        "members": members,
        "messages_sent": members * int(rate * seconds),
        "deliveries": len(lat),
        "expected": expected,
        "deliveries_per_s": round(len(lat) / elapsed),
        "latency_p50_ms": pick(0.5),
        "latency_p99_ms": pick(0.99),
        "latency_mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else None,
    }


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="ws://host:port of a running chat Worker (default: start one)")
    p.add_argument("--members", type=int, default=30)
    p.add_argument("--rate", type=float, default=1.0, help="messages per second per member")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--room", default=f"load-{int(time.time())}")
    args = p.parse_args()
    if args.url:
        print(json.dumps(await run(args.url, args.members, args.rate, args.seconds, args.room)))
        return
    from wsguide import serve
    from wsguide.teach.rooms import load_chat_example

    chat = load_chat_example()
    async with serve(chat, durable_objects=chat.DURABLE_OBJECTS, persist=False, echo_log=False) as srv:
        print(json.dumps(await run(srv.ws_url, args.members, args.rate, args.seconds, args.room)))


if __name__ == "__main__":
    asyncio.run(main())
