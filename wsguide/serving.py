"""``serve()``: a Worker, its Durable Objects and the server put together, like ``wrangler dev``.

wsguide only: on Workers the platform does this for you.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .net.server import Server

__all__ = ["serve"]


def serve(
    worker: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    compatibility_date: str | None = None,
    compatibility_flags: Iterable[str] = (),
    env: Any = None,
    durable_objects: dict[str, type] | None = None,
    persist: Any = None,
    hibernate_after: float | bool | None = None,
    **options: Any,
) -> Server:
    """Serve a Worker on ``http://127.0.0.1:<free port>``.

    Use it as ``async with serve(Default) as srv:`` (stops at the end of the
    block) or ``srv = await serve(Default)`` (stop it with ``await srv.close()``).
    ``port=0`` (the default) picks a free port, so re-running a cell never
    clashes. ``host="0.0.0.0"`` opens it to your network: only for a classroom.

    ``durable_objects={"ROOMS": ChatRoom}`` binds Durable Object classes
    (``self.env.ROOMS``); their storage lives under ``persist`` (a folder,
    ``.wsguide`` by default; ``False`` keeps it in memory), and an idle object
    hibernates after ``hibernate_after`` seconds (10; ``False``: never).
    Browser pages may open WebSockets only when this server served them;
    ``allowed_origins=["http://host:8000"]`` lets other pages in (``["*"]``: any).
    Other options: ``name``, ``log``, ``echo_log``, ``assets``, ``limits`` (sizes and timeouts,
    :class:`wsguide.net.Limits`), and ``pyodide=False`` (wsguide only: the Worker holds the
    runtime's objects directly, with JavaScript's semantics — the parity tests' twin of a
    JavaScript Worker).
    """
    bindings: dict[str, Any] = {}
    if durable_objects:
        from .durable import namespace_bindings  # only Workers with Durable Objects pay for SQLite

        bindings = namespace_bindings(durable_objects, persist=persist, hibernate_after=hibernate_after)
    return Server(
        worker,
        host=host,
        port=port,
        compatibility_date=compatibility_date,
        compatibility_flags=compatibility_flags,
        env=env,
        bindings=bindings,
        **options,
    )
