"""Self-checks for the Durable Object notebooks (07, 08). wsguide only.

* :func:`check_room` — is a class a working broadcast room?
* :func:`check_hibernation` — does it keep working across a forced hibernation?
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..core.websocket import WebSocket
from ..durable import HibernationBlocked
from ..http import Response
from ..sdk.entrypoints import WorkerEntrypoint
from ..serving import serve
from .answers import Check
from .eventlog import EventLog, next_event
from .waits import WaitTimeout, scaled

__all__ = ["check_hibernation", "check_room", "load_chat_example", "room_gateway"]


def load_chat_example() -> Any:
    """Import ``examples/chat/worker.py`` of this checkout, wherever the notebook runs.

    Looks next to the ``wsguide`` package (a clone installed with ``pip install -e``),
    then in the current folder and its parents.
    """
    from pathlib import Path

    from ..workerfile import load_worker_module

    rel = Path("examples") / "chat" / "worker.py"
    here = Path.cwd().resolve()
    for base in (Path(__file__).resolve().parents[2], here, *here.parents):
        if (base / rel).is_file():
            return load_worker_module(base / rel)
    raise FileNotFoundError(
        f"{rel} not found next to the wsguide package or above {here}: run the notebooks "
        "from a clone of the wsguide repository."
    )


class room_gateway(WorkerEntrypoint):  # noqa: N801 - used like a function in notebooks
    """A Worker that sends ``/room/<name>`` upgrades to ``env.ROOMS.getByName(name)``."""

    async def fetch(self, request: Any) -> Response:
        if (request.headers.get("Upgrade") or "").lower() != "websocket":
            return Response("Expected Upgrade: websocket", status=426)
        name = urlsplit(request.url).path.rstrip("/").rsplit("/", 1)[-1] or "lobby"
        return await self.env.ROOMS.getByName(name).fetch(request)


async def _open(url: str, timeout: float) -> WebSocket:
    ws = WebSocket(url)
    await next_event(ws, "open", timeout=timeout)
    return ws


async def _join(check: Check, urls: list[str], timeout: float) -> list[WebSocket] | None:
    """Connect a client to each URL; on failure, say so in ``check`` and return ``None``."""
    try:
        return [await _open(url, timeout) for url in urls]
    except WaitTimeout as exc:
        check.bad("clients could not connect", str(exc).splitlines()[0],
                  "returning Response(None, status=101, web_socket=client) from fetch(), "
                  "after self.ctx.acceptWebSocket(server)")
        return None


async def _text(log: EventLog, source: str, timeout: float) -> Any:
    """The first message ``source`` received (recorded by ``log``, so none is missed)."""
    await log.wait_for(type="message", source=source, timeout=timeout)
    return log.events(source, "message")[0].data


def _blocked_reason(exc: HibernationBlocked) -> str:
    """What keeps the object awake, without the object's name."""
    return exc.reason or str(exc).rstrip(".")


async def check_room(Room: type, *, timeout: float = 5) -> Check:
    """Serve ``Room`` as ``env.ROOMS`` and check that it is a broadcast room.

    Two clients join room ``a``, one joins room ``b``; the first sends a text. Never raises for
    a mistake in ``Room``: every problem is a ✘ line of the result.
    """
    check = Check(f"room {Room.__name__}")
    async with serve(room_gateway, durable_objects={"ROOMS": Room}, persist=False,
                     hibernate_after=False, echo_log=False) as srv:
        joined = await _join(check, [srv.ws_url + "/room/a", srv.ws_url + "/room/a", srv.ws_url + "/room/b"], timeout)
        if joined is None:
            return check
        a1, a2, b1 = joined
        check.good("three clients connected through the stub (101)")
        log = EventLog(a1=a1, a2=a2, b1=b1)
        a1.send("hello room a")
        for source, who in (("a1", "the sender"), ("a2", "the other member")):
            try:
                got = await _text(log, source, timeout)
            except WaitTimeout:
                check.bad(f"{who} got nothing", "no message arrived",
                          "sending to every socket of self.ctx.getWebSockets() in webSocketMessage")
                continue
            check.expect(got == "hello room a", f"{who} received the message",
                         f"{who} received {got!r}", "the room changed the text", "sending `message` unchanged")
        b1.send("hello room b")
        try:
            got = await _text(log, "b1", timeout)
        except WaitTimeout:
            check.bad("room b got nothing", "no message arrived", "broadcasting in every room")
        else:
            check.expect(got == "hello room b", "room b is separate: it saw only its own message",
                         "room b saw another room's message", f"its first message was {got!r}",
                         "getByName(name) with the room's name, so each name is its own object")
        for ws in joined:
            ws.close(1000)
    return check


async def check_hibernation(Room: type, *, timeout: float = 5) -> Check:
    """Check that ``Room`` keeps broadcasting after a forced hibernation.

    Two clients join one room; the room is told to hibernate (``hibernate_now``); then the
    first client sends a text, which must reach the second through a new instance. When the
    room cannot hibernate, the result says what keeps it awake. Never raises for a mistake in
    ``Room``.
    """
    check = Check(f"hibernation of {Room.__name__}")
    async with serve(room_gateway, durable_objects={"ROOMS": Room}, persist=False,
                     hibernate_after=False, echo_log=False) as srv:
        ns = srv.bindings["ROOMS"]
        joined = await _join(check, [srv.ws_url + "/room/h", srv.ws_url + "/room/h"], timeout)
        if joined is None:
            return check
        a, b = joined
        log = EventLog(b=b)
        try:
            hibernated = await ns.hibernate_now("h", timeout=scaled(timeout))
        except HibernationBlocked as exc:
            check.bad("the room stayed awake", _blocked_reason(exc),
                      "self.ctx.acceptWebSocket(server) instead of server.accept(), and the "
                      "webSocketMessage/webSocketClose methods instead of listeners: the runtime "
                      "then owns the sockets and can drop the instance")
            return check
        except TimeoutError as exc:
            check.bad("the room never became idle", str(exc), "handlers that finish (no endless await)")
            return check
        check.expect(hibernated, "the room hibernated while both sockets stayed connected",
                     "nothing hibernated", "no instance was running", "accepting the sockets in fetch()")
        a.send("after a nap")
        try:
            got = await _text(log, "b", timeout)
        except WaitTimeout:
            check.bad("no message after hibernation", "webSocketMessage never reached the other member",
                      "getting the members from self.ctx.getWebSockets(), not from a field of self "
                      "(a new instance starts with fresh fields)")
        else:
            check.expect(got == "after a nap", "a new instance delivered the next message to the other member",
                         "the other member got something else", f"it got {got!r}", "broadcasting `message` unchanged")
        runs = ns.constructor_runs("h")
        check.expect(runs == 2, "the constructor ran twice (before and after hibernation)",
                     "the constructor did not run again", f"it ran {runs} time(s)",
                     "keeping no state in __init__ that must survive")
        for ws in joined:
            ws.close(1000)
    return check
